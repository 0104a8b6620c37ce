import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../src/kube/index.js';
import { useControlCluster } from '../../support/control-cluster.js';
import { waitFor } from '../../support/sim-nodes.js';

const { persistentvolumes, persistentvolumeclaims } = resourceTypes;

// PersistentVolumes, claims and StorageClasses with real kubectl against the API server and the
// volume controller: validation, the default class, binding, release and reclaim, and the tables.
describe('persistent volumes with kubectl', () => {
  const f = useControlCluster();
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-pv-kubectl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const apply = async (name: string, text: string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, text);
    return f.kubectl('apply', '-f', file);
  };
  const ok = async (...args: string[]) => {
    const r = await f.kubectl(...args);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const volume = (name: string, size: string, policy: string, extra = '') => `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}, labels: {tier: fast}}
spec:
  capacity: {storage: ${size}}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: ${policy}
  storageClassName: manual
  hostPath: {path: /srv/tugboat-pv-test/${name}}
${extra}`;
  const claim = (name: string, size: string, cls = 'storageClassName: manual') => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [ReadWriteOnce]
  ${cls}
  resources: {requests: {storage: ${size}}}
`;

  it('serves the default local-path class and fills it into claims that name no class', async () => {
    const table = await ok('get', 'storageclass');
    expect(table.split('\n')[0]).toMatch(
      /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$/,
    );
    expect(table).toMatch(
      /local-path \(default\)\s+tugboat\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+\d+s/,
    );
    expect((await apply('defaulted', claim('defaulted', '1Gi', ''))).code).toBe(0);
    const c = await f.c.api.get<PersistentVolumeClaim>(persistentvolumeclaims, 'default', 'defaulted');
    expect(c?.spec.storageClassName).toBe('local-path');
    // An explicit "" asks for no class and is kept.
    expect((await apply('classless', claim('classless', '1Gi', 'storageClassName: ""'))).code).toBe(0);
    const none = await f.c.api.get<PersistentVolumeClaim>(persistentvolumeclaims, 'default', 'classless');
    expect(none?.spec.storageClassName).toBe('');
    const events = await waitFor('the claims say why they wait', async () => {
      const out = await ok('get', 'events', '--field-selector', 'involvedObject.kind=PersistentVolumeClaim');
      return out.includes('WaitForFirstConsumer') && out.includes('FailedBinding') ? out : undefined;
    });
    expect(events).toContain('waiting for first consumer to be created before binding');
    expect(events).toContain('no persistent volumes available for this claim and no storage class is set');
  });

  it('refuses invalid volumes and classes with kube field errors', async () => {
    const twoSources = await apply(
      'two',
      volume('two', '1Gi', 'Retain', '  local: {path: /srv/x}\n').replace(
        'storageClassName: manual',
        'storageClassName: manual',
      ),
    );
    expect(twoSources.code).not.toBe(0);
    expect(twoSources.stderr).toContain('spec.local: Forbidden: may not specify more than 1 volume type');
    expect(twoSources.stderr).toContain(
      'spec.nodeAffinity: Required value: Local volume requires node affinity',
    );
    const noCapacity = await apply(
      'nocap',
      volume('nocap', '1Gi', 'Recycled').replace('  capacity: {storage: 1Gi}\n', ''),
    );
    expect(noCapacity.stderr).toContain('spec.capacity: Required value');
    expect(noCapacity.stderr).toContain(
      'spec.persistentVolumeReclaimPolicy: Unsupported value: "Recycled": supported values: "Delete", "Recycle", "Retain"',
    );
    const backsteps = await apply(
      'dots',
      volume('dots', '1Gi', 'Retain').replace('/srv/tugboat-pv-test/dots', '/srv/../etc'),
    );
    expect(backsteps.stderr).toContain(
      'spec.hostPath.path: Invalid value: "/srv/../etc": must not contain \'..\'',
    );
    const sc = await apply(
      'sc',
      'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: bad}\nvolumeBindingMode: Later\n',
    );
    expect(sc.stderr).toContain('provisioner: Required value');
    expect(sc.stderr).toContain('volumeBindingMode: Unsupported value: "Later"');
  });

  it('binds a claim to the smallest matching volume and shows both sides in the tables', async () => {
    expect(
      (
        await apply(
          'manual',
          'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: manual}\nprovisioner: kubernetes.io/no-provisioner\n',
        )
      ).code,
    ).toBe(0);
    for (const [name, size] of [
      ['pv-small', '1Gi'],
      ['pv-big', '5Gi'],
    ] as const)
      expect((await apply(name, volume(name, size, 'Retain'))).code).toBe(0);
    expect((await apply('pv-del', volume('pv-del', '3Gi', 'Delete'))).code).toBe(0);
    expect((await apply('data', claim('data', '500Mi'))).code).toBe(0);
    await waitFor('the claim is bound', async () => {
      const c = await f.c.api.get<PersistentVolumeClaim>(persistentvolumeclaims, 'default', 'data');
      return c?.status?.phase === 'Bound' ? c : undefined;
    });
    const pvc = await ok('get', 'pvc', 'data');
    expect(pvc.split('\n')[0]).toMatch(
      /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$/,
    );
    expect(pvc).toMatch(/data\s+Bound\s+pv-small\s+1Gi\s+RWO\s+manual\s+<unset>\s+\d+s/);
    const pv = await waitFor('the volume table shows the claim', async () => {
      const out = await ok('get', 'pv', 'pv-small');
      return /Bound/.test(out) ? out : undefined;
    });
    expect(pv.split('\n')[0]).toMatch(
      /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE$/,
    );
    expect(pv).toMatch(/pv-small\s+1Gi\s+RWO\s+Retain\s+Bound\s+default\/data\s+manual\s+<unset>\s+\d+s/);
    expect(await ok('get', 'pv,pvc,sc')).toMatch(/persistentvolume\/pv-big\s+5Gi\s+RWO\s+Retain\s+Available/);
    expect(await ok('get', 'pv', 'pv-small', '-o', 'wide')).toMatch(/VOLUMEMODE[\s\S]*Filesystem/);
    // The claim without class was synced again on every new volume, but told its reason once.
    const counts = await ok(
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=classless',
      '-o',
      'jsonpath={.items[*].count}',
    );
    expect(counts).toBe('1');
  });

  it('releases a Retain volume when its claim goes, and deletes a Delete volume', async () => {
    await ok('delete', 'pvc', 'data');
    await waitFor('pv-small is Released', async () => {
      const v = await f.c.api.get<PersistentVolume>(persistentvolumes, undefined, 'pv-small');
      return v?.status?.phase === 'Released' ? v : undefined;
    });
    // A Released volume is not offered to a new claim (its claimRef still names the old one).
    expect((await apply('big-claim', claim('again', '3Gi'))).code).toBe(0);
    const again = await waitFor('the new claim binds', async () => {
      const c = await f.c.api.get<PersistentVolumeClaim>(persistentvolumeclaims, 'default', 'again');
      return c?.status?.phase === 'Bound' ? c : undefined;
    });
    expect(again.spec.volumeName).toBe('pv-del');
    await ok('delete', 'pvc', 'again');
    await waitFor('pv-del is deleted', async () =>
      (await f.c.api.get(persistentvolumes, undefined, 'pv-del')) ? undefined : true,
    );
    expect(await ok('get', 'pv', 'pv-small')).toMatch(
      /pv-small\s+1Gi\s+RWO\s+Retain\s+Released\s+default\/data/,
    );
  });

  it('provisions a local-path volume on the node the scheduler picks and keeps the pod there', async () => {
    expect((await apply('lp', claim('lp-data', '64Mi', ''))).code).toBe(0);
    const podYaml = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers: [{name: c, image: busybox}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: lp-data}}]
`;
    expect((await apply('lp-pod-1', podYaml('lp-1'))).code).toBe(0);
    const first = await waitFor('the pod is scheduled', async () => (await f.pods('lp-1'))[0]?.spec.nodeName);
    const bound = await waitFor('the claim is bound', async () => {
      const c = await f.c.api.get<PersistentVolumeClaim>(persistentvolumeclaims, 'default', 'lp-data');
      return c?.status?.phase === 'Bound' ? c : undefined;
    });
    expect(bound.metadata.annotations?.['volume.kubernetes.io/selected-node']).toBe(first);
    const pv = await f.c.api.get<PersistentVolume>(persistentvolumes, undefined, bound.spec.volumeName ?? '');
    expect(pv?.metadata.name).toBe(`pvc-${bound.metadata.uid}`);
    expect(pv?.spec.local?.path).toBe(`/var/lib/tugboat/agent/volumes/pvc-${bound.metadata.uid}`);
    expect(pv?.spec.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchFields?.[0]?.values).toEqual([first]);
    const events = await ok('get', 'events', '--field-selector', 'involvedObject.name=lp-data');
    expect(events).toContain(`Successfully provisioned volume pvc-${bound.metadata.uid}`);
    // Pods after the first go where the volume is, whichever node the spreading would prefer.
    await ok('delete', 'pod', 'lp-1', '--wait=false');
    for (const name of ['lp-2', 'lp-3']) {
      expect((await apply(name, podYaml(name))).code).toBe(0);
      expect(await waitFor(`${name} is scheduled`, async () => (await f.pods(name))[0]?.spec.nodeName)).toBe(
        first,
      );
    }
    // A pod whose claim does not exist is not placed, with kube-scheduler's message.
    expect(
      (await apply('orphan', podYaml('orphan').replace('claimName: lp-data', 'claimName: nothing'))).code,
    ).toBe(0);
    const refused = await waitFor('the pod is reported unschedulable', async () => {
      const p = (await f.pods('orphan'))[0];
      return p?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    });
    expect(refused.message).toBe('0/3 nodes are available: persistentvolumeclaim "nothing" not found.');

    // A claim in use is not deleted until its pods are (kubernetes.io/pvc-protection).
    expect(bound.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    expect(pv?.metadata.finalizers).toEqual(['kubernetes.io/pv-protection']);
    await ok('delete', 'pvc', 'lp-data', '--wait=false');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await ok('get', 'pvc', 'lp-data')).toMatch(/lp-data\s+Terminating\s+pvc-/);
    await ok('delete', 'pod', 'lp-1', 'lp-2', 'lp-3', '--ignore-not-found', '--wait=false');
    await waitFor('the claim goes with its last pod', async () =>
      (await f.c.api.get(persistentvolumeclaims, 'default', 'lp-data')) ? undefined : true,
    );
    await waitFor('its Delete volume goes too', async () =>
      (await f.c.api.get(persistentvolumes, undefined, pv?.metadata.name ?? '')) ? undefined : true,
    );
  });
});
