import { age, h, table } from './dom.js';
import { daemonSetRollout, jobState, statefulSetRollout } from './rollout.js';
import type { ClusterState } from './state.js';
import { missing } from './view-cluster.js';

const state = (s: { done: boolean; text: string }) => h('span', { class: s.done ? 'ok' : 'muted' }, s.text);

/** StatefulSets, DaemonSets, Jobs and CronJobs, each with its state in kubectl's words. */
export function renderControllers(cluster: ClusterState): HTMLElement[] {
  const sts = cluster.list('statefulsets');
  const ds = cluster.list('daemonsets');
  const jobs = cluster.list('jobs');
  const cron = cluster.list('cronjobs');
  return [
    h('h2', {}, 'StatefulSets'),
    missing(cluster, 'statefulsets') ??
      table(
        `${sts.length} statefulsets`,
        ['Namespace', 'Name', 'Ready', 'Rollout', 'Age'],
        sts.map((s) => [
          s.metadata.namespace ?? '',
          s.metadata.name,
          `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 1}`,
          state(statefulSetRollout(s)),
          age(s.metadata.creationTimestamp),
        ]),
      ),
    h('h2', {}, 'DaemonSets'),
    missing(cluster, 'daemonsets') ??
      table(
        `${ds.length} daemonsets`,
        ['Namespace', 'Name', 'Desired', 'Ready', 'Up-to-date', 'Available', 'Rollout', 'Age'],
        ds.map((d) => [
          d.metadata.namespace ?? '',
          d.metadata.name,
          d.status?.desiredNumberScheduled ?? 0,
          d.status?.numberReady ?? 0,
          d.status?.updatedNumberScheduled ?? 0,
          d.status?.numberAvailable ?? 0,
          state(daemonSetRollout(d)),
          age(d.metadata.creationTimestamp),
        ]),
      ),
    h('h2', {}, 'Jobs'),
    missing(cluster, 'jobs') ??
      table(
        `${jobs.length} jobs`,
        ['Namespace', 'Name', 'Completions', 'Status', 'Age'],
        jobs.map((j) => [
          j.metadata.namespace ?? '',
          j.metadata.name,
          `${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}`,
          state(jobState(j)),
          age(j.metadata.creationTimestamp),
        ]),
      ),
    h('h2', {}, 'CronJobs'),
    missing(cluster, 'cronjobs') ??
      table(
        `${cron.length} cronjobs`,
        ['Namespace', 'Name', 'Schedule', 'Suspend', 'Active', 'Last schedule', 'Age'],
        cron.map((c) => [
          c.metadata.namespace ?? '',
          c.metadata.name,
          c.spec?.schedule ?? '',
          c.spec?.suspend ? 'True' : 'False',
          (c.status?.active ?? []).length,
          c.status?.lastScheduleTime ? age(c.status.lastScheduleTime) : '<none>',
          age(c.metadata.creationTimestamp),
        ]),
      ),
  ];
}
