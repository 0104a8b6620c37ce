// Spec → template speed: in-process parse+validate and build+render per example (ITER iterations
// after a warm-up), then wall time of the whole CLI (`tugboat validate` / `tugboat template`)
// spawned RUNS times. Run `npm run build` first. Usage: node bench/template.mjs [iterations] [runs]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseClusterSpec } from '../dist/config/index.js';
import { buildTemplate, renderTemplate } from '../dist/provision/template/index.js';

const iterations = Number(process.argv[2] ?? 500);
const runs = Number(process.argv[3] ?? 20);
const examples = ['minimal', 'three-az', 'existing-vpc', 'route53-eip'];

function stats(times) {
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { min: times[0], p50: at(0.5), p90: at(0.9) };
}

function timeIt(fn, n) {
  fn();
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return stats(times);
}

const fmt = (s) => `${s.min.toFixed(3)} | ${s.p50.toFixed(3)} | ${s.p90.toFixed(3)}`;
console.log(`iterations: ${iterations}, cli runs: ${runs}, node ${process.version}`);
console.log(
  '| example | step | min ms | p50 ms | p90 ms | template bytes |\n| --- | --- | --- | --- | --- | --- |',
);
for (const name of examples) {
  const text = readFileSync(`examples/${name}.yaml`, 'utf8');
  const spec = parseClusterSpec(text);
  const bytes = renderTemplate(buildTemplate(spec)).length;
  console.log(`| ${name} | parse + validate | ${fmt(timeIt(() => parseClusterSpec(text), iterations))} | |`);
  console.log(
    `| ${name} | build + render json | ${fmt(timeIt(() => renderTemplate(buildTemplate(spec)), iterations))} | ${bytes} |`,
  );
}

function cli(args) {
  spawnSync(process.execPath, ['bin/tugboat.js', ...args], { stdio: 'ignore' });
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['bin/tugboat.js', ...args], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`tugboat ${args.join(' ')} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return stats(times);
}
console.log('\n| command | min ms | p50 ms | p90 ms |\n| --- | --- | --- | --- |');
for (const args of [
  ['validate', '-f', 'examples/three-az.yaml'],
  ['template', '-f', 'examples/three-az.yaml'],
  ['template', '-f', 'examples/three-az.yaml', '--format', 'yaml'],
]) {
  const s = cli(args);
  console.log(
    `| tugboat ${args.join(' ')} | ${s.min.toFixed(1)} | ${s.p50.toFixed(1)} | ${s.p90.toFixed(1)} |`,
  );
}
