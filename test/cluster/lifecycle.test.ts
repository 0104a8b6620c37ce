import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignEips,
  type BootstrapContext,
  clusterStateDir,
  clusterStatus,
  createCluster,
  deleteCluster,
  listClusters,
  listEips,
  RecordingEvents,
  scaleGroup,
  updateCluster,
} from '../../src/index.js';
import { findLeftovers } from '../../src/provision/leftovers.js';
import { testDefinition } from '../support/aws-template.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';

const fast = { pollIntervalMs: 200, timeoutMs: 60_000 };

describe('cluster lifecycle on moto_server (library API)', () => {
  let env: MotoAws;
  beforeAll(async () => {
    env = await startMotoAws();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('creates, inspects, assigns EIPs, scales, updates, deletes with proof, and does it again', async () => {
    const { aws, stateRoot } = env;
    for (const pass of [1, 2]) {
      const events = new RecordingEvents();
      const created = await createCluster({
        aws,
        events,
        stateRoot,
        definition: testDefinition('life', { secretsKey: true }),
        bootstrap: false,
        ...fast,
      });
      expect(created.stackAction).toBe('created');
      expect(created.inventory.groups.map((g) => [g.name, g.inService])).toEqual([
        ['master', 1],
        ['workers', 2],
      ]);
      expect(statSync(created.privateKeyPath ?? '').mode & 0o777).toBe(0o600);
      expect(events.codes()).toContain('stack.create');
      expect(events.codes()).toContain('groups.progress');
      // The laptop's CA went into SSM under the stack's key before any bootstrap, as did the rest.
      expect(events.codes()).toContain('secrets.stored');
      const params = await aws.ssm.listParameters('/tugboat/life/');
      expect(params.map((p) => p.name).sort()).toEqual(
        [
          'admin/admin',
          'master/ca',
          'master/service-account-key',
          'worker/bootstrap-token',
          'worker/ca-cert',
        ].map((n) => `/tugboat/life/${n}`),
      );
      expect(params.every((p) => p.type === 'SecureString' && p.keyId === created.outputs.SecretsKeyId)).toBe(
        true,
      );
      // Nothing secret in the events (what the CLI logs) nor in the stack's outputs.
      const token = (await aws.ssm.getSecureString('/tugboat/life/worker/bootstrap-token')) ?? '';
      const saKey = (await aws.ssm.getSecureString('/tugboat/life/master/service-account-key')) ?? '';
      expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
      for (const text of [JSON.stringify(events.events), JSON.stringify(created.outputs)]) {
        expect(text).not.toContain(token.split('.')[1]);
        expect(text).not.toContain('PRIVATE KEY');
        expect(text).not.toContain(saKey.split('\n')[1]);
      }
      expect(await aws.ssm.getSecureString('/tugboat/life/worker/ca-cert')).toBe(
        readFileSync(join(clusterStateDir('life', stateRoot), 'pki', 'ca.crt'), 'utf8'),
      );

      const again = await createCluster({
        aws,
        stateRoot,
        definition: testDefinition('life', { secretsKey: true }),
        bootstrap: false,
        ...fast,
      });
      expect(again.stackAction).toBe('exists');

      const status = await clusterStatus({ aws, cluster: 'life' });
      expect(status.stack?.status).toBe('CREATE_COMPLETE');
      expect(status.hosts).toHaveLength(3);
      for (const h of status.hosts) {
        expect(h.id).toMatch(/^i-/);
        expect(h.zone).toBe('us-east-1a');
        expect(h.privateIp).toMatch(/^10\.0\./);
      }
      expect(status.eips).toHaveLength(2);
      expect((await listClusters({ aws })).map((c) => c.cluster)).toEqual(['life']);

      const assigned = await assignEips({ aws, cluster: 'life', group: 'workers' });
      expect(assigned.assigned).toHaveLength(2);
      const rerun = await assignEips({ aws, cluster: 'life', group: 'workers' });
      expect(rerun.assigned).toHaveLength(0);
      expect(rerun.alreadyAssigned).toHaveLength(2);
      expect((await listEips({ aws, cluster: 'life' })).every((a) => a.instanceId)).toBe(true);

      // scale and update end like create: their bootstrap hook gets the settled inventory and key.
      const hooked: BootstrapContext[] = [];
      const bootstrap = async (context: BootstrapContext) => {
        hooked.push(context);
      };
      const scaled = await scaleGroup({
        aws,
        cluster: 'life',
        group: 'workers',
        desired: 3,
        stateRoot,
        bootstrap,
        ...fast,
      });
      expect(scaled.groupStatus?.inService).toBe(3);
      expect(hooked.map((c) => c.inventory.hosts.filter((h) => h.role === 'worker').length)).toEqual([3]);
      expect(hooked[0]?.keyPair.privateKeyPath).toBe(created.privateKeyPath);
      expect(hooked[0]?.stack.name).toBe('tugboat-life');
      await expect(scaleGroup({ aws, cluster: 'life', group: 'workers', desired: 9 })).rejects.toThrow(
        /outside workers's range 0\.\.5/,
      );

      const updated = await updateCluster({
        aws,
        definition: testDefinition('life', {
          secretsKey: true,
          groups: [{ name: 'workers', min: 0, max: 5, desired: 4 }],
        }),
        stateRoot,
        bootstrap,
        ...fast,
      });
      expect(hooked.map((c) => c.inventory.hosts.filter((h) => h.role === 'worker').length)).toEqual([3, 4]);
      expect(updated.action).toBe('updated');
      expect(updated.inventory?.groups.find((g) => g.name === 'workers')?.inService).toBe(4);

      const deleted = await deleteCluster({ aws, cluster: 'life', sweepDelayMs: 100, ...fast });
      expect(deleted.clean, JSON.stringify(deleted.proof?.remaining)).toBe(true);
      expect(deleted.proof?.checks.map((c) => c.kind)).toEqual(
        expect.arrayContaining(['vpc', 'ssm-parameter', 'kms-key']),
      );
      expect(await aws.ssm.listParameters('/tugboat/life/')).toEqual([]);
      expect(await findLeftovers(aws, 'life')).toEqual([]);
      expect(await aws.cloudFormation.describeStack('tugboat-life')).toBeUndefined();
      // moto's DeleteStack stops at a DependencyViolation and leaves the VPC and friends: the sweep got them.
      expect(
        deleted.sweep?.deleted.map((d) => d.kind),
        `pass ${pass}`,
      ).toContain('vpc');
    }
  });
});
