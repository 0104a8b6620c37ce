import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, startMoto } from '../harness/moto.js';
import { writeTestSpec } from '../support/aws-spec.js';
import { runCli } from '../support/cli.js';

// Every wait of a delete shares the command's one AbortSignal; a listener left behind per wait
// (or per AWS request) used to pile up past Node's limit of 10 and print a warning.
describe('tugboat delete against moto_server', () => {
  let moto: Moto;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), `tugboat-cli-listeners-${process.pid}-`));
    env = { ...process.env, ...moto.env, TUGBOAT_STATE_DIR: join(dir, 'state') };
    delete env.AWS_PROFILE;
    process.on('warning', onWarning);
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('emits no MaxListenersExceededWarning while deleting a cluster with several groups and EIPs', async () => {
    const spec = writeTestSpec(dir, { name: 'listeners', desired: 2, extraGroups: 2, eipPool: 5 });
    const created = await runCli(['create', '-f', spec, '--no-bootstrap'], { env, cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const assigned = await runCli(['eip', 'assign', 'listeners'], { env, cwd: dir });
    expect(assigned.code, assigned.stderr).toBe(0);
    warnings.length = 0;
    const deleted = await runCli(['delete', 'listeners', '--yes'], { env, cwd: dir });
    expect(deleted.code, deleted.stderr).toBe(0);
    // Warnings are emitted on process.nextTick; let any pending one arrive.
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual(
      [],
    );
  }, 300_000);
});
