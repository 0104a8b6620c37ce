// Cold start of the CLI: wall time of `node bin/tugboat.js --help` (and a bare `node -e 0` for the
// baseline), spawned RUNS times in sequence after one warm-up. Run `npm run build` first.
// Usage: node bench/cold-start.mjs [runs]
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2] ?? 30);

function measure(args) {
  spawnSync(process.execPath, args, { stdio: 'ignore' });
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { min: times[0], p50: at(0.5), p90: at(0.9) };
}

const rows = [
  ['node -e 0 (baseline)', measure(['-e', '0'])],
  ['tugboat --help', measure(['bin/tugboat.js', '--help'])],
  ['tugboat --version', measure(['bin/tugboat.js', '--version'])],
];
console.log(`runs: ${runs}, node ${process.version}`);
console.log('| command | min ms | p50 ms | p90 ms |\n| --- | --- | --- | --- |');
for (const [name, s] of rows) {
  console.log(`| ${name} | ${s.min.toFixed(1)} | ${s.p50.toFixed(1)} | ${s.p90.toFixed(1)} |`);
}
