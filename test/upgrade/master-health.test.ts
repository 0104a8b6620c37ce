import { describe, expect, it } from 'vitest';
import type { BootstrapHost } from '../../src/bootstrap/bootstrap-hosts.js';
import { type EtcdProbe, summarizeEtcdHealth } from '../../src/bootstrap/etcd-health.js';
import type { KubeClient } from '../../src/client/client.js';
import type { RemoteShell } from '../../src/ssh/remote-shell.js';
import {
  type MasterHealthOptions,
  waitClusterSafeToRoll,
  waitMasterHealthy,
} from '../../src/upgrade/master-health.js';

// The orchestration of the health waits with honest fakes: etcd's health as bootstrap's own
// judgement (summarizeEtcdHealth) makes it from what each member "says", and API clients
// answering /readyz, /version and the controllers' Lease.
// The real thing runs in multi-master-roll.test.ts.
const master: BootstrapHost = { name: 'm3', address: '10.0.3.4', port: 22, user: 'root', role: 'master' };
const member = (name: string, healthy = true): EtcdProbe => ({
  clientUrl: `https://${name}:2379`,
  healthy,
  reachable: healthy,
  ...(healthy ? { memberId: name, leaderId: 'm1' } : { error: 'no answer within 3 s' }),
});
const masters = ['m1', 'm2', 'm3'].map((name) => ({ name, address: name }));
const registered = masters.map((m) => ({
  ID: m.name,
  name: m.name,
  peerURLs: [`https://${m.name}:2380`],
  clientURLs: [`https://${m.name}:2379`],
}));

function options(etcd: () => readonly EtcdProbe[], lease: () => string): MasterHealthOptions {
  const shell: RemoteShell = {
    host: 'm3',
    exec: async () => ({ code: 1, stdout: '', stderr: 'not used' }),
    upload: async () => undefined,
    close: async () => undefined,
  };
  const masterClient = {
    transport: {
      stream: async () => ({ resume: () => undefined }),
      json: async () => ({ gitVersion: 'v1.32.0+tugboat-1.5.0' }),
    },
  } as unknown as KubeClient;
  const clusterClient = {
    get: async () => ({ spec: { holderIdentity: 'm1-1', renewTime: lease() } }),
  } as unknown as KubeClient;
  return {
    master,
    masterClient,
    clusterClient,
    target: '1.5.0',
    etcd: {
      health: async (_master, on) => {
        expect(on).toBe(shell);
        const probes = etcd();
        return summarizeEtcdHealth(
          masters,
          probes.map((p) => p.clientUrl),
          probes,
          probes.some((p) => p.reachable) ? registered : undefined,
        );
      },
      openShell: async () => shell,
    },
    next: 'm4',
    timeoutMs: 300,
    intervalMs: 20,
  };
}

describe('waitClusterSafeToRoll', () => {
  it('lets a master whose own member is down be reinstalled: the other two keep quorum', async () => {
    await waitClusterSafeToRoll(
      options(
        () => [member('m1'), member('m2'), member('m3', false)],
        () => 't',
      ),
    );
  });

  it('refuses while another member is unhealthy, naming it', async () => {
    await expect(
      waitClusterSafeToRoll(
        options(
          () => [member('m1'), member('m2', false), member('m3')],
          () => 't',
        ),
      ),
    ).rejects.toThrow(
      /^not reinstalling master m3: the other masters were not healthy within 0.3s, so taking it down could lose etcd's quorum: etcd: member m2 https:\/\/m2:2379 is not healthy: no answer within 3 s\nnothing was changed on m3/,
    );
  });
});

describe('waitMasterHealthy', () => {
  it('returns once every member is healthy and the controllers renewed their Lease', async () => {
    let renewals = 0;
    await waitMasterHealthy(
      options(
        () => [member('m1'), member('m2'), member('m3')],
        () => `t${renewals++ >= 2 ? 1 : 0}`,
      ),
    );
    expect(renewals).toBeGreaterThanOrEqual(3);
  });

  it('stops the roll naming the master, the unhealthy member and the next master', async () => {
    await expect(
      waitMasterHealthy(
        options(
          () => [member('m1'), member('m2'), member('m3', false)],
          () => 't',
        ),
      ),
    ).rejects.toThrow(
      /^master m3 was not healthy within 0.3s of its reinstall to 1\.5\.0: etcd: member m3 https:\/\/m3:2379 is not healthy: no answer within 3 s\nthe roll stopped before master m4/,
    );
  });

  it('reports controllers that nobody runs (a Lease never renewed)', async () => {
    await expect(
      waitMasterHealthy(
        options(
          () => [member('m1'), member('m2'), member('m3')],
          () => 'frozen',
        ),
      ),
    ).rejects.toThrow(
      /the scheduler and controllers: Lease kube-system\/tugboat-controller-manager not renewed yet/,
    );
  });
});
