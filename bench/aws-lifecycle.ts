// Wall time of `tugboat create` and `tugboat delete` (CLI, in-process) against a fresh
// moto_server on loopback, for clusters with 1, 5, 20 and 25 worker groups (desired 1 each, plus
// the master). RUNS runs per size; prints a markdown table of median and min seconds. From 20
// groups the compact template is above CloudFormation's 51,200-byte inline limit (about 2.1 KB a
// group), so create stages it in S3 and passes TemplateURL: the table says which path each size took.
// Usage: npx tsx bench/aws-lifecycle.ts [runs] [sizes, e.g. 1,5,20,25]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMPLATE_BODY_LIMIT } from '../src/provision/template/index.js';
import { startMoto } from '../test/harness/moto.js';
import { writeTestSpec } from '../test/support/aws-spec.js';
import { runCli } from '../test/support/cli.js';

const runs = Number(process.argv[2] ?? 3);
const sizes = (process.argv[3] ?? '1,5,20,25').split(',').map(Number);

async function timed(fn: () => Promise<{ code: number; stderr: string }>): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const moto = await startMoto();
const dir = mkdtempSync(join(tmpdir(), `tugboat-bench-aws-${process.pid}-`));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...moto.env,
  TUGBOAT_STATE_DIR: join(dir, 'state'),
  TUGBOAT_PROGRESS: 'silent',
};
delete env.AWS_PROFILE;
const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0] ?? 0, median: s[Math.floor(s.length / 2)] ?? 0 };
};
try {
  // The first create after moto starts pays for moto's lazy backend set-up (AMI and SSM catalogues)
  // and for loading the SDK: report it apart, then measure warm runs.
  const warm = writeTestSpec(dir, { name: 'warmup', desired: 1, eipPool: 0 });
  const coldCreate = await timed(() => runCli(['create', '-f', warm, '--no-bootstrap'], { env, cwd: dir }));
  const coldDelete = await timed(() => runCli(['delete', 'warmup', '--yes'], { env, cwd: dir }));
  console.log(`runs: ${runs}, node ${process.version}, moto_server on loopback`);
  console.log(
    `cold first run (1 group): create ${coldCreate.toFixed(2)} s, delete ${coldDelete.toFixed(2)} s`,
  );
  console.log(
    '| worker groups | instances | template bytes | sent as | create median s | create min s | delete median s | delete min s |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const groups of sizes) {
    const sized = writeTestSpec(dir, {
      name: `size${groups}`,
      desired: 1,
      extraGroups: groups - 1,
      eipPool: 0,
    });
    const rendered = await runCli(['template', '-f', sized], { env, cwd: dir });
    const bytes = Buffer.byteLength(JSON.stringify(JSON.parse(rendered.stdout)));
    const via = bytes > TEMPLATE_BODY_LIMIT ? 'S3 URL' : 'inline';
    const creates: number[] = [];
    const deletes: number[] = [];
    for (let i = 0; i < runs; i++) {
      await moto.reset();
      const name = `bench${groups}x${i}`;
      const spec = writeTestSpec(dir, { name, desired: 1, extraGroups: groups - 1, eipPool: 0 });
      creates.push(await timed(() => runCli(['create', '-f', spec, '--no-bootstrap'], { env, cwd: dir })));
      deletes.push(await timed(() => runCli(['delete', name, '--yes'], { env, cwd: dir })));
    }
    const c = stat(creates);
    const d = stat(deletes);
    console.log(
      `| ${groups} | ${groups + 1} | ${bytes} | ${via} | ${c.median.toFixed(2)} | ${c.min.toFixed(2)} | ${d.median.toFixed(2)} | ${d.min.toFixed(2)} |`,
    );
  }
} finally {
  await moto.stop();
  rmSync(dir, { recursive: true, force: true });
}
