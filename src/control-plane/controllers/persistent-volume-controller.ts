import type {
  KubeObject,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  StorageClass,
} from '../../kube/index.js';
import { DEFAULT_VOLUMES_DIR, VOLUMES_DIR_ANNOTATION } from '../../kube/local-path.js';
import type { ControllerApi } from '../machinery/api.js';
import { byNamespace } from '../machinery/informers.js';
import { keyOf } from '../machinery/objects.js';
import { resourceTypes } from '../machinery/resources.js';
import type { Action } from './actions.js';
import type { ControllerRunner } from './runner.js';
import type { StatefulSetControllerDeps } from './statefulset-controller.js';
import { type ClaimWorld, reconcileClaim, reconcileVolume } from './volume-binding.js';
import { reconcileClaimProtection, reconcileVolumeProtection } from './volume-protection.js';

/** What the controller manager lends the volume controller. */
export interface PersistentVolumeControllerDeps extends StatefulSetControllerDeps {
  /** For a live look at a claim before a volume is released (the claim cache may lag). */
  readonly api: ControllerApi;
}

/** Claims whose last Event is remembered (the oldest is forgotten first). */
const MAX_TOLD = 10_000;

const isRec = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Claims and volumes as the binder reads them; a malformed stored object is left out. */
function wellFormed(o: KubeObject): boolean {
  const spec = (o as { spec?: unknown }).spec;
  const status = (o as { status?: unknown }).status;
  return isRec(spec) && (status === undefined || isRec(status));
}

/**
 * kube's PersistentVolume controller: one work queue for claims (`c:ns/name`) and volumes
 * (`v:name`), fed by the claim, volume, class and node caches. Claims bind, provision or say why
 * not; volumes become Available, Bound or Released and are deleted on `Delete` reclaim.
 */
export function registerPersistentVolumeController(deps: PersistentVolumeControllerDeps): ControllerRunner {
  const { informers: inf, make, apply, api } = deps;
  const world = (): ClaimWorld => ({
    volumes: inf.persistentvolumes.list().filter(wellFormed) as PersistentVolume[],
    classes: new Map(
      (inf.storageclasses.list() as StorageClass[]).map((c) => [c.metadata.name ?? '', c] as const),
    ),
    volumesDirOf: (name) => {
      const node = inf.nodes.get(name) as Node | undefined;
      if (!node) return undefined;
      const dir = node.metadata.annotations?.[VOLUMES_DIR_ANNOTATION];
      return typeof dir === 'string' && dir.startsWith('/') ? dir : DEFAULT_VOLUMES_DIR;
    },
    nodeLabels: (name) => (inf.nodes.get(name) as Node | undefined)?.metadata.labels ?? undefined,
  });
  // The last Event each waiting claim got: a claim is synced again on every volume change, and
  // saying the same thing again would be one API write per pending claim per change.
  const told = new Map<string, string>();
  const once = (claim: PersistentVolumeClaim, actions: Action[]): Action[] =>
    actions.filter((a) => {
      if (a.verb !== 'event') return true;
      const uid = claim.metadata.uid ?? '';
      const said = `${a.reason}\n${a.message}`;
      if (told.get(uid) === said) return false;
      told.delete(uid);
      told.set(uid, said);
      if (told.size > MAX_TOLD) told.delete(told.keys().next().value as string);
      return true;
    });
  const controller = make('persistentvolume', async (key) => {
    if (key.startsWith('c:')) {
      const claim = inf.persistentvolumeclaims.get(key.slice(2)) as PersistentVolumeClaim | undefined;
      if (!claim || !wellFormed(claim)) return undefined;
      const pods = inf.pods.byIndex(byNamespace, claim.metadata.namespace ?? '') as Pod[];
      await apply([...reconcileClaimProtection(claim, pods), ...once(claim, reconcileClaim(claim, world()))]);
      return undefined;
    }
    const pv = inf.persistentvolumes.get(key.slice(2)) as PersistentVolume | undefined;
    if (!pv || !wellFormed(pv)) return undefined;
    const cached = (ns: string, name: string) =>
      inf.persistentvolumeclaims.get(`${ns}/${name}`) as PersistentVolumeClaim | undefined;
    let actions = reconcileVolume(pv, cached);
    if (
      actions.some(
        (a) => a.verb === 'delete' || (a.verb === 'updateStatus' && phaseOf(a.object) === 'Released'),
      )
    ) {
      // Releasing (and maybe deleting) a volume is decided on the live claim, never a lagging cache.
      const ref = pv.spec.claimRef;
      const live = await api.get<PersistentVolumeClaim>(
        resourceTypes.persistentvolumeclaims,
        ref?.namespace ?? '',
        ref?.name ?? '',
      );
      actions = reconcileVolume(pv, () => live);
    }
    await apply([...actions, ...reconcileVolumeProtection(pv)]);
    return undefined;
  });
  const claimKey = (o: KubeObject) => `c:${keyOf(o)}`;
  const pendingClaims = () => {
    for (const c of inf.persistentvolumeclaims.list())
      if (
        !(c as PersistentVolumeClaim).spec?.volumeName ||
        (c as PersistentVolumeClaim).status?.phase !== 'Bound'
      )
        controller.enqueue(claimKey(c));
  };
  const volumeChanged = (o: KubeObject) => {
    controller.enqueue(`v:${o.metadata.name ?? ''}`);
    const ref = (o as PersistentVolume).spec?.claimRef;
    if (ref?.name) controller.enqueue(`c:${ref.namespace ?? ''}/${ref.name}`);
    pendingClaims();
  };
  inf.persistentvolumes.addHandlers({
    onAdd: volumeChanged,
    onUpdate: volumeChanged,
    onDelete: volumeChanged,
  });
  const claimChanged = (o: KubeObject) => {
    controller.enqueue(claimKey(o));
    const name = (o as PersistentVolumeClaim).spec?.volumeName;
    if (name) controller.enqueue(`v:${name}`);
  };
  inf.persistentvolumeclaims.addHandlers({
    onAdd: claimChanged,
    onUpdate: claimChanged,
    onDelete: (o) => {
      told.delete(o.metadata.uid ?? '');
      claimChanged(o);
      for (const pv of inf.persistentvolumes.list()) {
        const ref = (pv as PersistentVolume).spec?.claimRef;
        if (ref?.name === o.metadata.name && ref?.namespace === o.metadata.namespace)
          controller.enqueue(`v:${pv.metadata.name ?? ''}`);
      }
    },
  });
  inf.storageclasses.addHandlers({ onAdd: pendingClaims, onUpdate: pendingClaims });
  // A claim being deleted waits for the pods using it: look again when one finishes or goes.
  const podClaims = (p: KubeObject) => {
    for (const v of (p as Pod).spec?.volumes ?? []) {
      const name = v?.persistentVolumeClaim?.claimName;
      if (typeof name === 'string') controller.enqueue(`c:${p.metadata.namespace ?? ''}/${name}`);
    }
  };
  inf.pods.addHandlers({ onUpdate: podClaims, onDelete: podClaims });
  inf.nodes.addHandlers({ onAdd: pendingClaims });
  for (const pv of inf.persistentvolumes.list()) controller.enqueue(`v:${pv.metadata.name ?? ''}`);
  for (const c of inf.persistentvolumeclaims.list()) controller.enqueue(claimKey(c));
  return controller;
}

function phaseOf(o: KubeObject): unknown {
  return (o as { status?: { phase?: unknown } }).status?.phase;
}
