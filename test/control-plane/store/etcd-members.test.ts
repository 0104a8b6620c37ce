import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addEtcdMember,
  checkEtcdHealth,
  listEtcdMembers,
  removeEtcdMember,
} from '../../../src/control-plane/store/etcd-members.js';
import { createStore } from '../../../src/control-plane/store/index.js';
import { type EtcdCluster, findLeader, startEtcd } from '../../harness/etcd.js';
import { freePort } from '../../harness/process.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('etcd member management on a 3-member cluster', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcd({ size: 3 });
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('lists members and their health', async () => {
    const members = await listEtcdMembers({ endpoints: etcd.endpoints });
    expect(members.map((m) => m.name).sort()).toEqual(['m0', 'm1', 'm2']);
    for (const m of members) {
      expect(m.id).toMatch(/^[0-9]+$/);
      expect(m.isLearner).toBe(false);
      expect(m.peerUrls).toHaveLength(1);
      expect(etcd.endpoints).toContain(m.clientUrls[0]);
    }
    const health = await checkEtcdHealth({ endpoints: etcd.endpoints });
    expect(health.map((h) => h.healthy)).toEqual([true, true, true]);
    // Every member follows the same leader, which is one of them.
    const leaders = new Set(health.map((h) => h.leaderId));
    expect(leaders.size).toBe(1);
    expect(members.map((m) => m.id)).toContain([...leaders][0]);
    expect(health.map((h) => h.memberId).sort()).toEqual(members.map((m) => m.id).sort());
  });

  it('removes a member, adds a new one that joins and catches up', async () => {
    const endpoints = etcd.endpoints;
    const store = await createStore({ kind: 'etcd', endpoints, prefix: '/members', compactIntervalMs: 0 });
    try {
      for (let i = 0; i < 20; i++) expect((await store.create(`/before/${i}`, enc('x'))).ok).toBe(true);

      // Replace a follower, as a replaced master does: remove it, stop it, add the new one.
      const leader = await findLeader(etcd);
      const victim = etcd.members.find((m) => m !== leader && m.running())!;
      const members = await listEtcdMembers({ endpoints });
      const victimId = members.find((m) => m.name === victim.name)!.id;
      await removeEtcdMember({ endpoints }, victimId);
      await victim.kill();
      expect((await listEtcdMembers({ endpoints })).map((m) => m.name).sort()).toEqual(
        ['m0', 'm1', 'm2'].filter((n) => n !== victim.name),
      );
      // Asked of the live members only: a first attempt that reaches the stopped one fails, and a
      // retry that then finds the member gone counts as done (the first attempt may have applied).
      const liveEndpoints = etcd.members.filter((m) => m.running()).map((m) => m.clientUrl);
      await expect(
        removeEtcdMember({ endpoints: liveEndpoints, retryTimeoutMs: 1_000 }, victimId),
      ).rejects.toThrow(/member not found/);

      // Written while the cluster has two members: the new member must sync these too.
      for (let i = 0; i < 20; i++) expect((await store.create(`/between/${i}`, enc('y'))).ok).toBe(true);

      const peerPort = await freePort();
      const added = await addEtcdMember({ endpoints }, 'm3', [`http://127.0.0.1:${peerPort}`]);
      expect(added.member.name).toBe(''); // not started yet
      expect(added.initialCluster.split(',').sort()).toEqual(
        [...(await listEtcdMembers({ endpoints }))].map((m) => `${m.name || 'm3'}=${m.peerUrls[0]}`).sort(),
      );
      expect(added.initialCluster).toContain(`m3=http://127.0.0.1:${peerPort}`);
      const joined = await etcd.startJoiningMember({
        name: 'm3',
        peerPort,
        initialCluster: added.initialCluster,
      });

      // It catches up: its revision reaches the cluster's, and it serves the data.
      const target = await store.currentRevision();
      const deadline = Date.now() + 30_000;
      let health = await checkEtcdHealth({ endpoints: [joined.clientUrl] });
      while (Date.now() < deadline && !(health[0]!.healthy && health[0]!.revision! >= target)) {
        await new Promise((r) => setTimeout(r, 200));
        health = await checkEtcdHealth({ endpoints: [joined.clientUrl] });
      }
      expect(health[0]).toMatchObject({ healthy: true, memberId: added.member.id });
      expect(health[0]!.revision).toBeGreaterThanOrEqual(target);
      const only = await createStore({
        kind: 'etcd',
        endpoints: [joined.clientUrl],
        prefix: '/members',
        compactIntervalMs: 0,
      });
      try {
        expect((await only.range('/between/', { prefix: true })).kvs).toHaveLength(20);
        expect((await only.range('/before/', { prefix: true })).kvs).toHaveLength(20);
      } finally {
        await only.close();
      }
      const after = await listEtcdMembers({ endpoints: [joined.clientUrl] });
      expect(after.map((m) => m.name).sort()).toEqual(
        ['m0', 'm1', 'm2', 'm3'].filter((n) => n !== victim.name),
      );
      const live = etcd.members.filter((m) => m.running()).map((m) => m.clientUrl);
      expect((await checkEtcdHealth({ endpoints: live })).map((h) => h.healthy)).toEqual([true, true, true]);
    } finally {
      await store.close();
    }
  });

  it('reports an endpoint that does not answer as unhealthy', async () => {
    const port = await freePort();
    const [health] = await checkEtcdHealth({ endpoints: [`http://127.0.0.1:${port}`], callTimeoutMs: 1_000 });
    expect(health).toMatchObject({
      healthy: false,
      error: expect.stringMatching(/UNAVAILABLE|ECONNREFUSED/),
    });
  });

  it('refuses a bad member name or ID before calling etcd', async () => {
    await expect(addEtcdMember({ endpoints: etcd.endpoints }, 'a b', ['http://127.0.0.1:1'])).rejects.toThrow(
      /must be letters/,
    );
    await expect(removeEtcdMember({ endpoints: etcd.endpoints }, '0xabc')).rejects.toThrow(/decimal/);
  });
});
