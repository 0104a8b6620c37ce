import { hostname } from 'node:os';
import type { EventSink } from '../../events.js';
import { silentEvents } from '../../events.js';
import { sleep } from '../../timing.js';
import {
  type LeaderElectionOptions,
  type LeaderElector,
  startLeaderElection,
} from '../leader/lease-election.js';
import type { ControllerApi } from '../machinery/api.js';
import { type Clock, systemClock } from '../machinery/clock.js';
import { EventRecorder } from '../machinery/event-recorder.js';
import { createInformers, type InformerSet, startInformers, stopInformers } from '../machinery/informers.js';
import {
  type Scheduler,
  type SchedulerOptions,
  schedulerName,
  startScheduler,
} from '../scheduler/scheduler.js';
import { type CloudNodeLifecycleOptions, startCloudNodeLifecycle } from './cloud-node-lifecycle.js';
import { type CsrControllersOptions, startCsrControllers } from './csr-controller.js';
import { type ControllerManager, type ControllerManagerOptions, startControllerManager } from './manager.js';

export interface StartControllersOptions {
  readonly api: ControllerApi;
  /** @default the system clock */
  readonly clock?: Clock;
  readonly events?: EventSink;
  /** Identity in the leader Lease. @default `<hostname>-<pid>` */
  readonly identity?: string;
  /**
   * Lease timing, or `false` to run without election (a single control-plane instance).
   * @default client-go's 15 s / 10 s / 2 s
   */
  readonly leaderElection?:
    | Partial<
        Pick<
          LeaderElectionOptions,
          'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs' | 'namespace' | 'name'
        >
      >
    | false;
  /** Controller timings (node grace and eviction, GC period, workers). */
  readonly controllers?: Omit<
    ControllerManagerOptions,
    'api' | 'informers' | 'clock' | 'events' | 'recorder'
  >;
  /** The CSR approver and signer (TLS bootstrapping). @default not run */
  readonly certificates?: Omit<CsrControllersOptions, 'api' | 'clock' | 'events'>;
  /** Delete NotReady Nodes whose cloud instance is gone. @default not run */
  readonly cloudNodes?: Omit<CloudNodeLifecycleOptions, 'api' | 'events'>;
  /** Scheduler tuning. */
  readonly scheduler?: Omit<SchedulerOptions, 'api' | 'informers' | 'clock' | 'events' | 'recorder'>;
}

/** Scheduler and controllers of one control-plane instance. */
export interface ControlLoops {
  /** True while this instance holds the leader Lease (always true without election). */
  isLeader(): boolean;
  /** Stops the loops and releases the Lease. */
  stop(): Promise<void>;
}

/**
 * Runs the scheduler and all controllers while this instance is the elected leader: on winning
 * the Lease it starts informers, waits for their lists, then starts the loops; on losing it,
 * everything is stopped and the instance campaigns again as a standby.
 */
export function startControllers(options: StartControllersOptions): ControlLoops {
  const clock = options.clock ?? systemClock;
  const events = options.events ?? silentEvents;
  const identity = options.identity ?? `${hostname()}-${process.pid}`;
  let term:
    | Promise<
        | {
            informers: InformerSet;
            scheduler: Scheduler;
            manager: ControllerManager;
            csr?: { stop(): Promise<void> };
            cloudNodes?: { stop(): Promise<void> };
          }
        | undefined
      >
    | undefined;
  let generation = 0;

  const lead = () => {
    const mine = ++generation;
    const starting = (async () => {
      let informers = createInformers(options.api, events);
      for (let attempt = 0; ; attempt++) {
        try {
          await startInformers(informers);
          break;
        } catch (err) {
          stopInformers(informers);
          if (mine !== generation) return undefined;
          events.emit({
            code: 'controllers.sync.retry',
            level: 'warn',
            message: `initial list failed: ${String(err)}`,
          });
          await sleep(Math.min(5_000, 200 * 2 ** attempt));
          informers = createInformers(options.api, events);
        }
      }
      if (mine !== generation) {
        stopInformers(informers);
        return undefined;
      }
      const schedulerRecorder = new EventRecorder(options.api, schedulerName, clock, events);
      const scheduler = startScheduler({
        ...options.scheduler,
        api: options.api,
        informers,
        clock,
        events,
        recorder: schedulerRecorder,
      });
      const manager = startControllerManager({
        ...options.controllers,
        api: options.api,
        informers,
        clock,
        events,
      });
      const csr = options.certificates
        ? startCsrControllers({ ...options.certificates, api: options.api, clock, events })
        : undefined;
      const cloudNodes = options.cloudNodes
        ? startCloudNodeLifecycle({ ...options.cloudNodes, api: options.api, events })
        : undefined;
      events.emit({
        code: 'controllers.started',
        level: 'info',
        message: `${identity} runs the scheduler and controllers`,
      });
      return { informers, scheduler, manager, csr, cloudNodes };
    })();
    term = starting;
    starting.catch((err: unknown) =>
      events.emit({
        code: 'controllers.failed',
        level: 'error',
        message: `controllers did not start: ${String(err)}`,
      }),
    );
  };

  const unlead = async () => {
    generation++;
    const running = await term?.catch(() => undefined);
    term = undefined;
    if (!running) return;
    await running.csr?.stop();
    await running.cloudNodes?.stop();
    await running.manager.stop();
    await running.scheduler.stop();
    stopInformers(running.informers);
    events.emit({
      code: 'controllers.stopped',
      level: 'info',
      message: `${identity} stopped the scheduler and controllers`,
    });
  };

  if (options.leaderElection === false) {
    lead();
    return { isLeader: () => true, stop: unlead };
  }
  const elector: LeaderElector = startLeaderElection({
    ...options.leaderElection,
    api: options.api,
    identity,
    clock,
    events,
    onStartedLeading: lead,
    onStoppedLeading: unlead,
  });
  return { isLeader: () => elector.isLeader(), stop: () => elector.stop() };
}
