import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../kube/index.js';
import { buildLocalPathVolume, LOCAL_PATH_PROVISIONER } from '../../kube/local-path.js';
import { clone } from '../machinery/objects.js';
import { classOf, findMatchingVolume, SELECTED_NODE } from '../machinery/volume-matching.js';
import { type Action, deleteAction, eventAction, statusUpdate } from './actions.js';

/** Claim annotations the binder writes, as kube's PV controller does. */
export const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** The provisioner asked to create a volume for a claim. */
export const STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
/** On a provisioned volume: who made it. */
export const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

/** What the claim sync sees besides the claim. */
export interface ClaimWorld {
  readonly volumes: readonly PersistentVolume[];
  readonly classes: ReadonlyMap<string, StorageClass>;
  /** Where local-path volumes live on a node (its agent's `<data dir>/volumes`), by node name. */
  readonly volumesDirOf: (node: string) => string | undefined;
  /** Labels of a node by name (for a selected node's affinity), undefined when gone. */
  readonly nodeLabels: (node: string) => Record<string, string> | undefined;
}

/** The claim-side message when no volume matches and nothing will provision one. */
export const NO_CLASS_MESSAGE = 'no persistent volumes available for this claim and no storage class is set';

function claimRefOf(claim: PersistentVolumeClaim): NonNullable<PersistentVolume['spec']['claimRef']> {
  return {
    kind: 'PersistentVolumeClaim',
    apiVersion: 'v1',
    namespace: claim.metadata.namespace ?? '',
    name: claim.metadata.name ?? '',
    uid: claim.metadata.uid ?? '',
    ...(claim.metadata.resourceVersion ? { resourceVersion: claim.metadata.resourceVersion } : {}),
  };
}

/**
 * Binds `claim` to `pv`: the volume's claimRef and phase Bound, then the claim's volumeName and
 * bind annotations and its status Bound with the volume's capacity and modes (kube's bind order:
 * volume first, so a crash in between leaves a volume the claim sync finishes binding).
 */
export function bindActions(claim: PersistentVolumeClaim, pv: PersistentVolume): Action[] {
  const actions: Action[] = [];
  const ref = pv.spec.claimRef;
  const boundVolume = clone(pv);
  if (!ref?.uid || ref.uid !== claim.metadata.uid) {
    boundVolume.spec.claimRef = claimRefOf(claim);
    actions.push({ verb: 'update', resource: 'persistentvolumes', object: boundVolume });
  }
  actions.push(...statusUpdate('persistentvolumes', boundVolume, { ...boundVolume.status, phase: 'Bound' }));
  const bound = clone(claim);
  const annotations = { ...(bound.metadata.annotations ?? {}) };
  if (bound.spec.volumeName !== pv.metadata.name || annotations[BIND_COMPLETED] !== 'yes') {
    if (!bound.spec.volumeName) annotations[BOUND_BY_CONTROLLER] = 'yes';
    annotations[BIND_COMPLETED] = 'yes';
    bound.metadata.annotations = annotations;
    bound.spec.volumeName = pv.metadata.name;
    actions.push({ verb: 'update', resource: 'persistentvolumeclaims', object: bound });
  }
  actions.push(
    ...statusUpdate('persistentvolumeclaims', bound, {
      ...bound.status,
      phase: 'Bound',
      accessModes: [...(pv.spec.accessModes ?? [])],
      capacity: { ...(pv.spec.capacity ?? {}) },
    }),
  );
  return actions;
}

/** Why an unbound claim waits, with the provisioning it calls for (kube's syncUnboundClaim). */
function unmatched(claim: PersistentVolumeClaim, world: ClaimWorld): Action[] {
  const className = classOf(claim);
  if (!className) return [eventAction(claim, 'Normal', 'FailedBinding', NO_CLASS_MESSAGE)];
  const cls = world.classes.get(className);
  if (!cls)
    return [
      eventAction(
        claim,
        'Warning',
        'ProvisioningFailed',
        `storageclass.storage.k8s.io "${className}" not found`,
      ),
    ];
  const selected = claim.metadata.annotations?.[SELECTED_NODE];
  if (cls.volumeBindingMode === 'WaitForFirstConsumer' && !selected)
    return [
      eventAction(
        claim,
        'Normal',
        'WaitForFirstConsumer',
        'waiting for first consumer to be created before binding',
      ),
    ];
  if (cls.provisioner !== LOCAL_PATH_PROVISIONER)
    return [
      eventAction(
        claim,
        'Normal',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${cls.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      ),
    ];
  if (!selected)
    return [
      eventAction(
        claim,
        'Warning',
        'ProvisioningFailed',
        `storageclass "${className}": ${LOCAL_PATH_PROVISIONER} volumes live on one node: set volumeBindingMode: WaitForFirstConsumer`,
      ),
    ];
  const dir = world.volumesDirOf(selected);
  if (!dir || !world.nodeLabels(selected))
    return [
      eventAction(
        claim,
        'Warning',
        'ProvisioningFailed',
        `selected node "${selected}" is not a tugboat node (not found)`,
      ),
    ];
  if (claim.spec.selector)
    return [eventAction(claim, 'Warning', 'ProvisioningFailed', 'claim Selector is not supported')];
  const pv = buildLocalPathVolume(claim, cls, selected, dir);
  return [
    { verb: 'create', resource: 'persistentvolumes', object: pv },
    eventAction(
      claim,
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${pv.metadata.name}`,
    ),
  ];
}

/**
 * kube's PV controller syncClaim for one claim: an unbound claim binds to the best matching
 * volume (on its selected node, if any) or explains why it waits and provisions a local-path
 * volume when its class asks for one; a bound claim whose volume is gone is `Lost`.
 */
export function reconcileClaim(claim: PersistentVolumeClaim, world: ClaimWorld): Action[] {
  if (claim.metadata.deletionTimestamp) return [];
  const name = claim.spec.volumeName;
  if (name) {
    const pv = world.volumes.find((v) => v.metadata.name === name);
    if (!pv) {
      if (claim.status?.phase === 'Lost' || claim.status?.phase === 'Pending') {
        return claim.status?.phase === 'Pending'
          ? [eventAction(claim, 'Normal', 'FailedBinding', `volume "${name}" not found`)]
          : [];
      }
      return [
        ...statusUpdate('persistentvolumeclaims', claim, { ...claim.status, phase: 'Lost' }),
        eventAction(
          claim,
          'Warning',
          'ClaimLost',
          'Bound claim has lost its PersistentVolume. Data on the volume is lost!',
        ),
      ];
    }
    const ref = pv.spec.claimRef;
    if (
      ref &&
      !(
        ref.name === claim.metadata.name &&
        (ref.namespace ?? '') === (claim.metadata.namespace ?? '') &&
        (!ref.uid || ref.uid === claim.metadata.uid)
      )
    )
      return claim.status?.phase === 'Bound'
        ? [
            ...statusUpdate('persistentvolumeclaims', claim, { ...claim.status, phase: 'Lost' }),
            eventAction(
              claim,
              'Warning',
              'ClaimMisbound',
              'Two claims are bound to the same volume, this one is bound incorrectly',
            ),
          ]
        : [
            eventAction(
              claim,
              'Normal',
              'FailedBinding',
              `volume "${name}" already bound to a different claim.`,
            ),
          ];
    return bindActions(claim, pv);
  }
  const selected = claim.metadata.annotations?.[SELECTED_NODE];
  const labels = selected ? world.nodeLabels(selected) : undefined;
  const node = selected ? { metadata: { name: selected, labels: labels ?? {} } } : undefined;
  const pv = findMatchingVolume(claim, world.volumes, node);
  if (pv) return bindActions(claim, pv);
  return unmatched(claim, world);
}

/**
 * kube's PV controller syncVolume: a volume without claim is Available; a volume whose claim is
 * gone (or replaced by another of the same name) is Released, and then `Delete` deletes it while
 * `Retain` keeps it Released for an administrator.
 */
export function reconcileVolume(
  pv: PersistentVolume,
  claimOf: (namespace: string, name: string) => PersistentVolumeClaim | undefined,
): Action[] {
  if (pv.metadata.deletionTimestamp) return [];
  const ref = pv.spec.claimRef;
  const phase = pv.status?.phase;
  if (!ref)
    return phase === 'Available'
      ? []
      : statusUpdate('persistentvolumes', pv, { ...pv.status, phase: 'Available' });
  if (!ref.uid)
    return phase === 'Available'
      ? []
      : statusUpdate('persistentvolumes', pv, { ...pv.status, phase: 'Available' });
  const claim = claimOf(ref.namespace ?? '', ref.name ?? '');
  if (claim && claim.metadata.uid === ref.uid) {
    // The claim sync completes the binding; until then the volume already counts as Bound.
    return phase === 'Bound' ? [] : statusUpdate('persistentvolumes', pv, { ...pv.status, phase: 'Bound' });
  }
  const actions: Action[] =
    phase === 'Released' || phase === 'Failed'
      ? []
      : statusUpdate('persistentvolumes', pv, { ...pv.status, phase: 'Released' });
  if (pv.spec.persistentVolumeReclaimPolicy === 'Delete') actions.push(deleteAction('persistentvolumes', pv));
  return actions;
}
