import { isStatus } from '../../client/api-error.js';
import type { EventSink } from '../../events.js';
import { silentEvents } from '../../events.js';
import type { Lease } from '../../kube/index.js';
import type { ControllerApi } from '../machinery/api.js';
import { type Clock, formatTime, systemClock } from '../machinery/clock.js';
import { resourceTypes } from '../machinery/resources.js';

export interface LeaderElectionOptions {
  readonly api: ControllerApi;
  /** This instance's identity, unique among candidates (e.g. hostname + pid). */
  readonly identity: string;
  /** @default 'kube-system' */
  readonly namespace?: string;
  /** @default 'tugboat-controller-manager' */
  readonly name?: string;
  /** A holder that has not renewed for this long loses the lease. @default 15000 */
  readonly leaseDurationMs?: number;
  /** The leader gives up if it cannot renew for this long (must be below leaseDurationMs). @default 10000 */
  readonly renewDeadlineMs?: number;
  /** Interval between acquire or renew attempts. @default 2000 */
  readonly retryPeriodMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
  readonly events?: EventSink;
  /** Called when this instance becomes leader. */
  readonly onStartedLeading: () => void | Promise<void>;
  /** Called when this instance stops being leader (lost the lease or stopped). */
  readonly onStoppedLeading: () => void | Promise<void>;
}

/** A running election. */
export interface LeaderElector {
  isLeader(): boolean;
  /** Stops campaigning; a leader releases the lease so a standby takes over at once. */
  stop(): Promise<void>;
}

/**
 * Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection: acquire
 * when the lease is free or its holder's renewals stopped (judged by when this instance last saw
 * the lease change, so clock skew between hosts does not matter), renew every retry period,
 * step down when renewals fail past the renew deadline. Writes use resourceVersion preconditions,
 * so two candidates can never both win.
 */
export function startLeaderElection(options: LeaderElectionOptions): LeaderElector {
  const { api, identity } = options;
  const clock = options.clock ?? systemClock;
  const events = options.events ?? silentEvents;
  const ns = options.namespace ?? 'kube-system';
  const name = options.name ?? 'tugboat-controller-manager';
  const duration = options.leaseDurationMs ?? 15_000;
  const renewDeadline = options.renewDeadlineMs ?? 10_000;
  const retry = options.retryPeriodMs ?? 2_000;
  let leader = false;
  let stopped = false;
  let lastRenew = 0;
  let observed: { record: string; at: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const record = (l: Lease) =>
    JSON.stringify([l.spec.holderIdentity, l.spec.renewTime, l.spec.leaseTransitions]);
  const spec = (prev: Lease['spec'] | undefined): Lease['spec'] => {
    const now = formatTimeMicro(clock.now());
    const same = prev?.holderIdentity === identity;
    return {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(duration / 1000),
      acquireTime: same && prev?.acquireTime ? prev.acquireTime : now,
      renewTime: now,
      leaseTransitions: (prev?.leaseTransitions ?? 0) + (same || !prev ? 0 : 1),
    };
  };

  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const now = clock.now();
    const current = await api.get<Lease>(resourceTypes.leases, ns, name);
    if (!current) {
      await api.create<Lease>(resourceTypes.leases, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: ns },
        spec: spec(undefined),
      });
      return true;
    }
    const rec = record(current);
    if (!observed || observed.record !== rec) observed = { record: rec, at: now };
    const holder = current.spec.holderIdentity;
    if (holder && holder !== identity && now < observed.at + duration) return false;
    const next: Lease = { ...current, spec: spec(current.spec) };
    const written = await api.update<Lease>(resourceTypes.leases, next);
    observed = { record: record(written), at: now };
    return true;
  };

  const step = async () => {
    let ok = false;
    try {
      ok = await tryAcquireOrRenew();
    } catch (err) {
      if (!isStatus(err, 409)) {
        events.emit({ code: 'leader.error', level: 'debug', message: `lease ${ns}/${name}: ${String(err)}` });
      }
    }
    if (stopped) return;
    const now = clock.now();
    if (ok) {
      lastRenew = now;
      if (!leader) {
        leader = true;
        events.emit({
          code: 'leader.acquired',
          level: 'info',
          message: `${identity} became leader of ${ns}/${name}`,
        });
        await options.onStartedLeading();
      }
    } else if (leader && now - lastRenew > renewDeadline) {
      leader = false;
      events.emit({
        code: 'leader.lost',
        level: 'warn',
        message: `${identity} lost the lease ${ns}/${name}`,
      });
      await options.onStoppedLeading();
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = step().finally(schedule);
    }, retry);
  };
  running = step().finally(schedule);

  return {
    isLeader: () => leader,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => undefined);
      if (!leader) return;
      leader = false;
      await options.onStoppedLeading();
      try {
        const current = await api.get<Lease>(resourceTypes.leases, ns, name);
        if (current?.spec.holderIdentity === identity) {
          await api.update<Lease>(resourceTypes.leases, {
            ...current,
            spec: {
              ...current.spec,
              holderIdentity: null,
              leaseDurationSeconds: 1,
              renewTime: formatTimeMicro(clock.now()),
            },
          });
        }
      } catch (err) {
        events.emit({ code: 'leader.release.failed', level: 'debug', message: String(err) });
      }
    },
  };
}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
function formatTimeMicro(ms: number): string {
  return `${formatTime(ms).slice(0, 19)}.${String(ms % 1000).padStart(3, '0')}000Z`;
}
