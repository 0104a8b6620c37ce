import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, startMoto } from '../harness/moto.js';
import { writeTestSpec } from '../support/aws-spec.js';
import { runCli } from '../support/cli.js';
import { describeTagged } from '../support/tagged-resources.js';

interface JsonHost {
  id: string;
  group: string;
  zone: string;
  privateIp?: string;
  eip?: { allocationId: string };
}

describe('tugboat create / status / eip / scale / update / delete against moto_server', () => {
  let moto: Moto;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...argv: string[]) => runCli(argv, { env, cwd: dir });
  const json = async <T>(...argv: string[]): Promise<T> => {
    const run = await cli('-o', 'json', ...argv);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as T;
  };

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), `tugboat-cli-aws-${process.pid}-`));
    env = { ...process.env, ...moto.env, TUGBOAT_STATE_DIR: join(dir, 'state') };
    delete env.AWS_PROFILE;
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Two rounds of ~16 commands; create and delete now also make and sweep the stack's KMS key and
  // SecureStrings: 44 s at load 12 on 2 cores, over vitest's default 60 s when busier.
  it('runs the whole lifecycle twice and proves nothing tagged is left each time', {
    timeout: 240_000,
  }, async () => {
    const spec = writeTestSpec(dir, { name: 'demo', desired: 2 });
    const respec = writeTestSpec(dir, { name: 'demo', desired: 3 });
    for (const round of [1, 2]) {
      const created = await json<{ stackAction: string; hosts: JsonHost[]; keyName: string }>(
        'create',
        '-f',
        spec,
        '--no-bootstrap',
      );
      expect(created.stackAction, `round ${round}`).toBe('created');
      expect(created.keyName).toBe('tugboat-demo');
      expect(created.hosts).toHaveLength(3);

      const again = await json<{ stackAction: string }>('create', '-f', spec, '--no-bootstrap');
      expect(again.stackAction).toBe('exists');

      const status = await json<{
        stack: { status: string };
        groups: { name: string; desired: number; inService: number }[];
        hosts: JsonHost[];
      }>('status', 'demo');
      expect(status.stack.status).toBe('CREATE_COMPLETE');
      expect(status.hosts.map((h) => h.id).sort()).toEqual(created.hosts.map((h) => h.id).sort());
      expect(status.groups.map((g) => [g.name, g.inService, g.desired])).toEqual([
        ['master', 1, 1],
        ['workers', 2, 2],
      ]);
      for (const h of status.hosts) expect(h.privateIp).toMatch(/^10\.0\./);

      const text = await cli('status', 'demo');
      for (const h of status.hosts) expect(text.stdout).toContain(h.id);

      const assigned = await json<{ assigned: unknown[] }>('eip', 'assign', 'demo', '--group', 'workers');
      expect(assigned.assigned).toHaveLength(2);
      const reassign = await json<{ assigned: unknown[]; alreadyAssigned: string[] }>(
        'eip',
        'assign',
        'demo',
        '--group',
        'workers',
      );
      expect(reassign.assigned).toHaveLength(0);
      expect(reassign.alreadyAssigned).toHaveLength(2);
      // Without --group only groups whose spec says eip: true count: here the master (the default).
      const byTag = await json<{ assigned: unknown[]; alreadyAssigned: string[] }>('eip', 'assign', 'demo');
      expect(byTag).toEqual({
        assigned: [],
        alreadyAssigned: status.hosts.filter((h) => h.group === 'master').map((h) => h.id),
      });
      // The master's own EIP is associated by create (master.eip defaults to true), the pool's by assign.
      const eips = await json<{ eips: { instanceId?: string }[] }>('eip', 'list', 'demo');
      expect(eips.eips.map((e) => e.instanceId).sort()).toEqual(status.hosts.map((h) => h.id).sort());

      // Against the emulator alone there are no hosts to bootstrap (test/e2e does that part).
      const tooMany = await cli('scale', 'demo', '--group', 'workers', '--desired', '9', '--no-bootstrap');
      expect(tooMany.code).toBe(2);
      expect(tooMany.stderr).toContain('--desired 9 is outside workers');
      const scaled = await json<{ groupStatus: { inService: number } }>(
        'scale',
        'demo',
        '--group',
        'workers',
        '--desired',
        '4',
        '--no-bootstrap',
      );
      expect(scaled.groupStatus.inService).toBe(4);

      const noTty = await cli('update', '-f', respec, '--no-bootstrap');
      expect(noTty.code).toBe(2);
      expect(noTty.stderr).toContain('pass --yes');
      const updated = await json<{ action: string; groups: { name: string; inService: number }[] }>(
        'update',
        '-f',
        respec,
        '--yes',
        '--no-bootstrap',
      );
      expect(updated.action).toBe('updated');
      expect(updated.groups.find((g) => g.name === 'workers')?.inService).toBe(3);

      const refused = await cli('delete', 'demo');
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('would delete stack tugboat-demo');
      const deleted = await json<{ clean: boolean; proof: { checks: { kind: string }[] } }>(
        'delete',
        'demo',
        '--yes',
      );
      expect(deleted.clean).toBe(true);
      expect(deleted.proof.checks.map((c) => c.kind)).toEqual(
        expect.arrayContaining([
          'vpc',
          'subnet',
          'internet-gateway',
          'route-table',
          'security-group',
          'elastic-ip',
        ]),
      );
      expect(await describeTagged(moto.env, 'demo')).toEqual([]);
      const list = await json<{ clusters: unknown[] }>('list');
      expect(list.clusters).toEqual([]);
    }
  });
});
