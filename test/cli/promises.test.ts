import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, startMoto } from '../harness/moto.js';
import { writeTestSpec } from '../support/aws-spec.js';
import { runCli } from '../support/cli.js';
import { describeTagged } from '../support/tagged-resources.js';

// Documented CLI promises held by tests (issue #19), the CLI running as a child process against
// moto_server: a delete that cannot remove something exits 3 with `clean: false` and the list of
// what remains (paced by TUGBOAT_SWEEP_RETRY_MS / TUGBOAT_SWEEP_ROUNDS, so it gives up in seconds,
// not four minutes); Ctrl-C during create exits 130 with its message, and create again finishes.

const run = promisify(execFile);

describe('CLI promises (child process, moto_server)', () => {
  let moto: Moto;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), `tugboat-rel-promises-${process.pid}-`));
    env = { ...process.env, ...moto.env, TUGBOAT_STATE_DIR: join(dir, 'state'), CI: 'true' };
    delete env.AWS_PROFILE;
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function ec2(...args: string[]): Promise<Record<string, any>> {
    const { stdout } = await run('aws', ['ec2', ...args, '--output', 'json'], {
      env: { ...env, AWS_DEFAULT_REGION: env.AWS_REGION ?? 'us-east-1' },
    });
    return JSON.parse(stdout) as Record<string, any>;
  }

  it('delete that finds something it cannot remove: exit 3, clean false, the remaining list', async () => {
    // A VPC tagged as the cluster's, holding a subnet tugboat did not make (untagged): the sweep
    // must not touch the subnet, so the VPC can never go.
    const vpc = await ec2(
      'create-vpc',
      '--cidr-block',
      '10.77.0.0/16',
      '--tag-specifications',
      'ResourceType=vpc,Tags=[{Key=tugboat:cluster,Value=stuck}]',
    );
    const vpcId = vpc.Vpc.VpcId as string;
    await ec2('create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.77.1.0/24');
    const started = Date.now();
    const res = await runCli(['-o', 'json', 'delete', 'stuck', '--yes'], {
      env: { ...env, TUGBOAT_SWEEP_RETRY_MS: '50', TUGBOAT_SWEEP_ROUNDS: '3' },
      cwd: dir,
    });
    expect(res.code, res.stderr).toBe(3);
    const out = JSON.parse(res.stdout);
    expect(out.clean).toBe(false);
    expect(out.sweep.rounds).toBe(3);
    expect(out.sweep.remaining).toContainEqual(expect.objectContaining({ kind: 'vpc', id: vpcId }));
    expect(out.proof.remaining).toContainEqual(expect.objectContaining({ kind: 'vpc', id: vpcId }));
    const subnets = await ec2('describe-subnets', '--filters', `Name=vpc-id,Values=${vpcId}`);
    expect(subnets.Subnets).toHaveLength(1);
  }, 120_000);

  it('refuses a malformed sweep knob before touching AWS (exit 2, names the variable)', async () => {
    const res = await runCli(['delete', 'stuck', '--yes'], {
      env: { ...env, TUGBOAT_SWEEP_ROUNDS: 'many' },
      cwd: dir,
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('TUGBOAT_SWEEP_ROUNDS (many) must be a whole number of at least 1');
  });

  it('Ctrl-C during create: prints its message, exits 130; create again finishes', async () => {
    const spec = writeTestSpec(dir, { name: 'relcc', desired: 1 });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/cli-entry.ts', 'create', '-f', spec, '--no-bootstrap'],
      { env: { ...env, VITEST: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // Progress (stderr) as a user sees it: interrupt once the stack is being created.
    let stderr = '';
    let sent = false;
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (!sent && /CloudFormation stack/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stdout?.resume();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(sent, stderr).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('interrupted: cancelling the current AWS call');
    const again = await runCli(['-o', 'json', 'create', '-f', spec, '--no-bootstrap'], { env, cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    const gone = await runCli(['-o', 'json', 'delete', 'relcc', '--yes'], { env, cwd: dir });
    expect(gone.code, gone.stderr).toBe(0);
    expect(await describeTagged(moto.env, 'relcc')).toEqual([]);
  }, 240_000);
});
