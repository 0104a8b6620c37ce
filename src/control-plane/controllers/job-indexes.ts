import type { EnvVar, Job, Pod } from '../../kube/index.js';

/** Annotation (and label) carrying an Indexed job pod's completion index (kube's name). */
export const completionIndexKey = 'batch.kubernetes.io/job-completion-index';

/** The env var every container of an Indexed job pod gets (from the annotation, as upstream). */
export const completionIndexEnv: EnvVar = {
  name: 'JOB_COMPLETION_INDEX',
  valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${completionIndexKey}']` } },
};

/** The completion index of a pod, or undefined when it has none (or a malformed one). */
export function podIndex(pod: Pod, completions: number): number | undefined {
  const text = pod.metadata.annotations?.[completionIndexKey] ?? pod.metadata.labels?.[completionIndexKey];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const i = Number(text);
  return i < completions ? i : undefined;
}

/** `0,2-4,7` form of a set of indexes (kube's status.completedIndexes). */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** The indexes of a `0,2-4` string below `completions`; malformed parts are skipped. */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = Math.min(m[2] === undefined ? from : Number(m[2]), completions - 1);
    for (let i = from; i <= to; i++) out.add(i);
  }
  return out;
}

/**
 * Makes a pod from the job template into the pod for `index`: name prefix `<job>-<index>-`, the
 * index as annotation and label, JOB_COMPLETION_INDEX in every container, hostname `<job>-<index>`.
 */
export function forIndex(pod: Pod, job: Job, index: number): Pod {
  const value = String(index);
  pod.metadata.generateName = `${job.metadata.name}-${value}-`;
  pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [completionIndexKey]: value };
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [completionIndexKey]: value };
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    const env = (c.env ?? []).filter((e) => e.name !== completionIndexEnv.name);
    c.env = [...env, structuredClone(completionIndexEnv)];
  }
  pod.spec.hostname ??= `${job.metadata.name}-${value}`;
  return pod;
}
