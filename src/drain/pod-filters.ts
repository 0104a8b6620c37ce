import type { Pod } from '../kube/index.js';

/** What `kubectl drain` would do to each pod on a node (its filters in k8s.io/kubectl/pkg/drain). */
export interface DrainSelection {
  /** Pods to evict, in the order found. */
  readonly evict: readonly Pod[];
  /** `kind: pods` left on the node, with the reason (DaemonSet-managed, mirror). */
  readonly skipped: readonly { readonly pod: Pod; readonly reason: string }[];
  /** Warnings kubectl prints for pods it deletes or ignores on purpose (grouped by reason). */
  readonly warnings: readonly string[];
  /** Reasons the drain must not start: one line per kind of pod that needs a flag, naming the pods. */
  readonly errors: readonly string[];
}

/** The flags of `kubectl drain` that change which pods may go. */
export interface DrainFilterOptions {
  /** Leave DaemonSet-managed pods running instead of refusing the drain. @default false */
  readonly ignoreDaemonSets?: boolean;
  /** Evict pods that no controller owns (they are not recreated elsewhere). @default false */
  readonly force?: boolean;
  /** Evict pods with emptyDir volumes (their data is lost). @default false */
  readonly deleteEmptyDirData?: boolean;
}

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** `namespace/name` of a pod, as kubectl lists them in drain errors. */
export function podKey(p: Pod): string {
  return `${p.metadata.namespace ?? 'default'}/${p.metadata.name ?? ''}`;
}

function isFinished(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/**
 * Sorts a node's pods as kubectl drain does: mirror pods cannot be deleted through the API and are
 * skipped; DaemonSet pods are recreated at once on the cordoned node, so they stay (and need
 * `ignoreDaemonSets`); pods no controller owns are lost (need `force`); emptyDir data is lost
 * (needs `deleteEmptyDirData`). Finished pods and pods already being deleted go without a flag.
 */
export function selectDrainPods(pods: readonly Pod[], options: DrainFilterOptions = {}): DrainSelection {
  const evict: Pod[] = [];
  const skipped: { pod: Pod; reason: string }[] = [];
  const fatal = new Map<string, string[]>();
  const warn = new Map<string, string[]>();
  const add = (m: Map<string, string[]>, reason: string, p: Pod) =>
    m.set(reason, [...(m.get(reason) ?? []), podKey(p)]);

  for (const p of pods) {
    if (p.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) {
      skipped.push({ pod: p, reason: 'mirror pod' });
      continue;
    }
    const controller = p.metadata.ownerReferences?.find((o) => o.controller);
    const gone = isFinished(p) || p.metadata.deletionTimestamp !== undefined;
    if (controller?.kind === 'DaemonSet' && !gone) {
      if (options.ignoreDaemonSets) {
        skipped.push({ pod: p, reason: 'DaemonSet-managed' });
        add(warn, 'ignoring DaemonSet-managed Pods', p);
      } else {
        add(fatal, 'DaemonSet-managed Pods (use --ignore-daemonsets to ignore)', p);
      }
      continue;
    }
    if (!controller && !gone) {
      if (!options.force) {
        add(fatal, 'Pods declare no controller (use --force to override)', p);
        continue;
      }
      add(warn, 'deleting Pods that declare no controller', p);
    }
    if (!gone && (p.spec.volumes ?? []).some((v) => v.emptyDir !== undefined)) {
      if (!options.deleteEmptyDirData) {
        add(fatal, 'Pods with local storage (use --delete-emptydir-data to override)', p);
        continue;
      }
      add(warn, 'deleting Pods with local storage', p);
    }
    evict.push(p);
  }
  const lines = (m: Map<string, string[]>, prefix: string) =>
    [...m].map(([reason, keys]) => `${prefix}${reason}: ${keys.join(', ')}`);
  return { evict, skipped, warnings: lines(warn, ''), errors: lines(fatal, 'cannot delete ') };
}
