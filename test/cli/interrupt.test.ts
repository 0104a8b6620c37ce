import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, startMoto } from '../harness/moto.js';
import { writeTestSpec } from '../support/aws-spec.js';
import { runCli } from '../support/cli.js';
import { describeTagged } from '../support/tagged-resources.js';

// Ctrl-C as a user presses it (issue #19): SIGINT to the real CLI running as a child process,
// once its AWS work is under way. It prints its message, exits 130, and the same command again
// finishes the job.
describe('Ctrl-C during delete (CLI child process, moto_server)', () => {
  let moto: Moto;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), `tugboat-sigint-${process.pid}-`));
    env = { ...process.env, ...moto.env, TUGBOAT_STATE_DIR: join(dir, 'state'), CI: 'true' };
    delete env.AWS_PROFILE;
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the CLI from source; sends SIGINT once stderr matches `when`. */
  function interrupt(
    argv: string[],
    when: RegExp,
  ): Promise<{ code: number | null; stderr: string; sent: boolean }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', ...argv], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (!sent && when.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stdout?.resume();
    return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr, sent })));
  }

  it('delete: prints its message, exits 130; delete again leaves nothing', async () => {
    const spec = writeTestSpec(dir, { name: 'ctrlc', desired: 1 });
    const made = await runCli(['create', '-f', spec, '--no-bootstrap'], { env, cwd: dir });
    expect(made.code, made.stderr).toBe(0);
    const run = await interrupt(['delete', 'ctrlc', '--yes'], /delete stack/i);
    expect(run.sent, run.stderr).toBe(true);
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('interrupted: cancelling the current AWS call');
    expect(run.stderr).toContain('delete of ctrlc interrupted: run `tugboat delete ctrlc` again to finish');
    const again = await runCli(['-o', 'json', 'delete', 'ctrlc', '--yes'], { env, cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).clean).toBe(true);
    expect(await describeTagged(moto.env, 'ctrlc')).toEqual([]);
  }, 180_000);
});
