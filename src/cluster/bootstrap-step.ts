import {
  type BootstrapContext,
  bootstrapCluster,
  type ClusterBootstrapResult,
} from '../bootstrap/cluster-bootstrap.js';
import type { HostBundle } from '../bootstrap/control-plane-install.js';
import { loadHostBundle } from '../bootstrap/host-bundle.js';
import type { ClusterSettings } from '../provision/template/index.js';
import { type MarkerSsm, markEtcdFormedAfterBootstrap } from './etcd-formation-step.js';
import { settingsBootstrapOptions, stackSettings } from './stack-settings.js';

/** How create, update and scale run the SSH bootstrap of the instances they settled. */
export interface BootstrapSettings {
  /** The host bundle to upload. @default the one `npm run build` wrote (see loadHostBundle) */
  readonly bundle?: HostBundle;
  /** Record host keys never seen before. @default false: only the cluster's known_hosts */
  readonly trustNewHosts?: boolean;
  /** Kubeconfig to merge the cluster's context into. @default none: only `<state>/<cluster>/kubeconfig` */
  readonly mergeKubeconfigInto?: string;
  /** Hosts worked on at once after the master. @default 10 */
  readonly concurrency?: number;
}

/**
 * The `bootstrap` option of create, update and scale: `true` or settings bootstrap over SSH (the
 * default), `false` stops after the infrastructure, a function runs instead of the SSH bootstrap.
 */
export type BootstrapOption = boolean | BootstrapSettings | ((context: BootstrapContext) => Promise<void>);

/** A bootstrap ready to run once the instances are settled, and what it did. */
export interface BootstrapStep {
  readonly hook: (context: BootstrapContext) => Promise<void>;
  /**
   * Brings the workers' agents to the current masters (their API server list changed: masters were
   * replaced), leaving the masters alone; an agent already pointing there is left as it is.
   */
  readonly repointWorkers?: (context: BootstrapContext) => Promise<void>;
  /** The bundle the SSH bootstrap uploads (instances booting from user-data fetch the same one). */
  readonly bundle?: HostBundle;
  /** What the SSH bootstrap did, once it ran (undefined for a function option). */
  result(): ClusterBootstrapResult | undefined;
}

/**
 * Turns the `bootstrap` option into the step settle runs; undefined when it is off. The bundle is
 * loaded here, before any AWS call, so a missing bundle costs no stack. `skipReady` leaves the control
 * plane and Ready nodes alone (update and scale bootstrap only what they added). `settings` (from the
 * spec) win over the stack's BootstrapSettings output.
 */
export function prepareBootstrap(
  option: BootstrapOption | undefined,
  context: {
    readonly stateRoot?: string;
    readonly skipReady: boolean;
    readonly settings?: ClusterSettings;
    /** Where the etcd formation marker is written once bootstrap formed etcd. @default not written */
    readonly ssm?: MarkerSsm;
  },
): BootstrapStep | undefined {
  if (option === false) return undefined;
  if (typeof option === 'function') {
    const { ssm } = context;
    // The caller's own bootstrap forms etcd when the store is etcd: once it succeeded, the marker says so.
    const hook = async (settled: BootstrapContext) => {
      await option(settled);
      if (ssm)
        await markEtcdFormedAfterBootstrap(
          ssm,
          { ...settled, ...(context.settings?.store ? { store: context.settings.store } : {}) },
          [],
        );
    };
    return { hook, result: () => undefined };
  }
  const chosen = option === true || option === undefined ? {} : option;
  const bundle = chosen.bundle ?? loadHostBundle();
  let done: ClusterBootstrapResult | undefined;
  const run = async (settled: BootstrapContext, only?: readonly string[]) => {
    const settings = context.settings ?? stackSettings(settled.stack);
    const options = {
      ...settled,
      bundle,
      ...settingsBootstrapOptions(settings),
      trustNewHosts: chosen.trustNewHosts ?? false,
      // A worker whose agent is Ready on a master about to go would be skipped: compare its files.
      skipReady: only ? false : context.skipReady,
      ...(only ? { only } : {}),
      ...(chosen.mergeKubeconfigInto ? { mergeKubeconfigInto: chosen.mergeKubeconfigInto } : {}),
      ...(chosen.concurrency ? { concurrency: chosen.concurrency } : {}),
      ...(context.stateRoot ? { stateRoot: context.stateRoot } : {}),
    };
    done = await bootstrapCluster(options);
    // Every host succeeded (bootstrapCluster throws otherwise): etcd has all the masters.
    if (context.ssm && !only) await markEtcdFormedAfterBootstrap(context.ssm, options, []);
  };
  return {
    bundle,
    hook: (settled) => run(settled),
    repointWorkers: (settled) =>
      run(
        settled,
        settled.inventory.hosts.filter((h) => h.role === 'worker').map((h) => h.id),
      ),
    result: () => done,
  };
}
