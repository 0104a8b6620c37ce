import type { EventSink } from '../../events.js';
import type { KubeEvent, KubeObject } from '../../kube/index.js';
import type { ControllerApi } from './api.js';
import type { Clock } from './clock.js';
import { formatTime } from './clock.js';
import { randomSuffix } from './objects.js';
import { apiVersionOf, resourceOfKind, resourceTypes } from './resources.js';

/**
 * Writes core/v1 Events for significant controller actions (what `kubectl get events` and
 * `kubectl describe` show). Repeats of the same reason and message for the same object bump
 * `count` instead of creating new Events. Best effort: failures are reported, never thrown.
 */
export class EventRecorder {
  private readonly recent = new Map<string, KubeEvent>();

  constructor(
    private readonly api: ControllerApi,
    private readonly component: string,
    private readonly clock: Clock,
    private readonly sink?: EventSink,
  ) {}

  async record(
    involved: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const ns = involved.metadata.namespace || 'default';
    const key = `${involved.metadata.uid ?? involved.metadata.name}/${reason}/${message}`;
    const now = formatTime(this.clock.now());
    const prior = this.recent.get(key);
    try {
      if (prior) {
        const next = await this.api.patch<KubeEvent>(resourceTypes.events, ns, prior.metadata.name ?? '', {
          count: (prior.count ?? 1) + 1,
          lastTimestamp: now,
        });
        this.remember(key, next);
        return;
      }
      const kind = involved.kind ?? '';
      const r = resourceOfKind(kind);
      const event: KubeEvent = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${involved.metadata.name}.${randomSuffix(Math.random, 10)}`, namespace: ns },
        involvedObject: {
          kind,
          name: involved.metadata.name ?? '',
          ...(involved.metadata.namespace ? { namespace: involved.metadata.namespace } : {}),
          ...(involved.metadata.uid ? { uid: involved.metadata.uid } : {}),
          ...(r ? { apiVersion: apiVersionOf(resourceTypes[r]) } : {}),
        },
        reason,
        message,
        type,
        source: { component: this.component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      this.remember(key, await this.api.create(resourceTypes.events, event));
    } catch (err) {
      this.recent.delete(key);
      this.sink?.emit({
        code: 'controllers.event.failed',
        level: 'debug',
        message: `could not record event ${reason} for ${involved.kind}/${involved.metadata.name}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }

  private remember(key: string, event: KubeEvent): void {
    this.recent.set(key, event);
    if (this.recent.size > 4096) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }
}
