import type { Action } from '../../../src/control-plane/controllers/actions.js';
import { formatTime } from '../../../src/control-plane/machinery/clock.js';
import type { KubeObject, Pod } from '../../../src/kube/index.js';

/**
 * A tiny in-memory world for pure reconcile tests: applies actions to maps of objects, assigns
 * names and uids, and records events. Not a fake API server: no watches, no concurrency.
 */
export class World {
  readonly objects = new Map<string, Map<string, KubeObject>>();
  readonly events: { reason: string; message: string; type: string }[] = [];
  now = Date.parse('2026-01-01T00:00:00Z');
  private seq = 0;

  list<T extends KubeObject>(resource: string): T[] {
    return [...(this.objects.get(resource)?.values() ?? [])] as T[];
  }

  put(resource: string, obj: KubeObject): KubeObject {
    let m = this.objects.get(resource);
    if (!m) {
      m = new Map();
      this.objects.set(resource, m);
    }
    const o = structuredClone(obj);
    if (!o.metadata.name)
      o.metadata.name = `${o.metadata.generateName ?? 'obj-'}${(++this.seq).toString(36).padStart(5, '0')}`;
    if (!o.metadata.uid) o.metadata.uid = `uid-${resource}-${o.metadata.name}`;
    if (!o.metadata.creationTimestamp) o.metadata.creationTimestamp = formatTime(this.now + this.seq);
    m.set(`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
    return o;
  }

  apply(actions: readonly Action[]): void {
    for (const a of actions) {
      if (a.verb === 'event') this.events.push({ reason: a.reason, message: a.message, type: a.type });
      else if (a.verb === 'delete') this.objects.get(a.resource)?.delete(`${a.namespace ?? ''}/${a.name}`);
      else if (a.verb === 'updateStatus') {
        const m = this.objects.get(a.resource);
        const key = `${a.object.metadata.namespace ?? ''}/${a.object.metadata.name}`;
        const cur = m?.get(key);
        if (cur)
          m?.set(key, {
            ...cur,
            status: structuredClone((a.object as { status?: unknown }).status),
          } as KubeObject);
      } else this.put(a.resource, a.object);
    }
  }

  /** Marks every pod Running and Ready (a kubelet that starts everything at once). */
  startPods(filter: (p: Pod) => boolean = () => true): void {
    for (const p of this.list<Pod>('pods')) {
      if (!filter(p) || p.status?.phase === 'Running') continue;
      p.status = {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(this.now) }],
      };
    }
  }
}
