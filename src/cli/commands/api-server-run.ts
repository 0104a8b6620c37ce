import { startControlPlane } from '../../control-plane/main.js';
import { StoreDamageError } from '../../control-plane/store/index.js';
import { checkBackupSchedule } from '../../control-plane/store/shipping/backup-schedule.js';
import { TugboatError, UsageError } from '../../errors.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { parseDuration } from '../support/duration.js';
import { lineSink } from '../support/event-lines.js';
import type { ControlPlaneFlags } from './api-server.js';

/** A duration flag in seconds ("40" or "40s"). */
function seconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/s$/, ''));
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(
      `${flag} "${value}" is not a positive number of seconds: use e.g. ${flag} ${fallback}`,
    );
  }
  return n;
}

/** `--etcd-endpoint-sync-interval` in ms: whole or fractional seconds, 0 turns the sync off. */
function endpointSyncIntervalMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replace(/s$/, ''));
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(
      `--etcd-endpoint-sync-interval "${value}" is not a number of seconds: use e.g. 60, or 0 to keep --etcd-endpoints`,
    );
  return Math.round(n * 1000);
}

/**
 * The autoscaler's kube-controller-manager flags, as Go durations (`15s`, `1m30s`); the
 * stabilization window may be `0s` (no window), as upstream allows, and is whole seconds.
 */
function autoscalerFlags(flags: ControlPlaneFlags): {
  hpaSyncPeriodMs?: number;
  hpaDownscaleStabilizationSeconds?: number;
} {
  const sync = flags.horizontalPodAutoscalerSyncPeriod;
  const window = flags.horizontalPodAutoscalerDownscaleStabilization;
  const windowFlag = '--horizontal-pod-autoscaler-downscale-stabilization';
  let windowSeconds: number | undefined;
  if (window !== undefined) {
    const ms = /^0+(\.0*)?(ns|us|µs|μs|ms|s|m|h)?$/.test(window) ? 0 : parseDuration(window, windowFlag);
    windowSeconds = Math.round(ms / 1000);
  }
  return {
    ...(sync !== undefined
      ? { hpaSyncPeriodMs: parseDuration(sync, '--horizontal-pod-autoscaler-sync-period') }
      : {}),
    ...(windowSeconds !== undefined ? { hpaDownscaleStabilizationSeconds: windowSeconds } : {}),
  };
}

/** A comma-separated flag as a list (undefined when the flag is absent). */
function list(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Node IPAM settings from --cluster-cidr and --node-cidr-mask-size (startControlPlane checks them). */
function nodeIpam(flags: ControlPlaneFlags): { nodeIpam?: { clusterCidr: string; nodeCidrPrefix: number } } {
  if (flags.clusterCidr === undefined) {
    if (flags.nodeCidrMaskSize !== undefined) {
      throw new UsageError(
        '--node-cidr-mask-size needs --cluster-cidr: add e.g. --cluster-cidr 10.244.0.0/16',
      );
    }
    return {};
  }
  const prefix = flags.nodeCidrMaskSize === undefined ? 24 : Number(flags.nodeCidrMaskSize);
  return { nodeIpam: { clusterCidr: flags.clusterCidr, nodeCidrPrefix: prefix } };
}

/** `--backup-schedule` / `--backup-retain`, checked; they need --state-bucket (backups live next to the shipped store). */
function backupFlags(flags: ControlPlaneFlags): { backup?: { schedule: string; retain: number } } {
  if (flags.backupSchedule === undefined) {
    if (flags.backupRetain !== undefined)
      throw new UsageError('--backup-retain needs --backup-schedule: add e.g. --backup-schedule "0 3 * * *"');
    return {};
  }
  if (!flags.stateBucket)
    throw new UsageError(
      '--backup-schedule needs --state-bucket: the bucket the backups go to (and, with the embedded store, where it is shipped)',
    );
  const problem = checkBackupSchedule(flags.backupSchedule);
  if (problem)
    throw new UsageError(
      `--backup-schedule "${flags.backupSchedule}" is not a cron schedule (${problem}): use e.g. "0 3 * * *" (UTC) or @daily`,
    );
  const retain = flags.backupRetain === undefined ? 7 : Number(flags.backupRetain);
  if (!Number.isInteger(retain) || retain < 1 || retain > 1000)
    throw new UsageError(
      `--backup-retain "${flags.backupRetain}" is not a whole number from 1 to 1000: e.g. 7`,
    );
  return { backup: { schedule: flags.backupSchedule, retain } };
}

/** `--cloud-provider`, `--cluster-name`, `--cloud-region`: all needed together (region from AWS_REGION by default). */
function cloudFlags(flags: ControlPlaneFlags): {
  cloud?: { provider: 'aws'; cluster: string; region: string };
} {
  if (!flags.cloudProvider) {
    if (flags.clusterName !== undefined || flags.cloudRegion !== undefined)
      throw new UsageError('--cluster-name and --cloud-region need --cloud-provider aws');
    return {};
  }
  if (!flags.clusterName)
    throw new UsageError('--cloud-provider needs --cluster-name: the tugboat:cluster tag of the instances');
  const region = flags.cloudRegion ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('--cloud-provider needs a region: pass --cloud-region or set AWS_REGION');
  return { cloud: { provider: flags.cloudProvider, cluster: flags.clusterName, region } };
}

/**
 * Runs the control plane until SIGTERM or SIGINT, then shuts down gracefully (stop accepting,
 * end watches, close the store) and returns 0. Events go to stderr as plain lines.
 */
export async function runControlPlane(
  io: CliIO,
  globals: GlobalOptions,
  flags: ControlPlaneFlags,
): Promise<number> {
  // Listen for signals before starting, so a SIGTERM during start-up still shuts down cleanly.
  let onSignal = () => {};
  let exitCode = 0;
  const signalled = new Promise<void>((resolve) => {
    onSignal = () => resolve();
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const backup = backupFlags(flags);
    const running = await startControlPlane({
      dataDir: flags.dataDir,
      store: flags.store,
      etcdEndpoints: list(flags.etcdEndpoints),
      etcdCaFile: flags.etcdCafile,
      etcdCertFile: flags.etcdCertfile,
      etcdKeyFile: flags.etcdKeyfile,
      etcdEndpointSyncIntervalMs: endpointSyncIntervalMs(flags.etcdEndpointSyncInterval),
      tlsCertFile: flags.tlsCertFile,
      tlsPrivateKeyFile: flags.tlsPrivateKeyFile,
      clientCaFile: flags.clientCaFile,
      tokenAuthFile: flags.tokenAuthFile,
      kubeletClientCertificate: flags.kubeletClientCertificate,
      kubeletClientKey: flags.kubeletClientKey,
      metricResolutionMs: seconds(flags.metricResolution, '--metric-resolution', 15) * 1000,
      clusterSigningCertFile: flags.clusterSigningCertFile,
      clusterSigningKeyFile: flags.clusterSigningKeyFile,
      joinTokenFile: flags.joinTokenFile,
      ...cloudFlags(flags),
      listen: flags.listen,
      insecureLoopbackHttp: flags.insecureLoopbackHttp,
      serviceClusterIpRange: flags.serviceClusterIpRange,
      advertiseAddress: flags.advertiseAddress,
      ...(flags.stateBucket
        ? {
            stateShipping: {
              bucket: flags.stateBucket,
              ...(flags.statePrefix ? { prefix: flags.statePrefix } : {}),
              ...backup,
            },
          }
        : {}),
      onFenced: () => {
        // Another master owns the cluster state now: exit non-zero so nothing restarts this one blindly.
        exitCode = 1;
        onSignal();
      },
      serviceAccountSigningKeyFile: flags.serviceAccountSigningKeyFile,
      serviceAccountKeyFiles: list(flags.serviceAccountKeyFile),
      serviceAccountIssuer: flags.serviceAccountIssuer,
      apiAudiences: list(flags.apiAudiences),
      controllers:
        flags.controllers !== false
          ? {
              controllers: {
                nodeLifecycle: {
                  nodeMonitorGracePeriodSeconds: seconds(
                    flags.nodeMonitorGracePeriod,
                    '--node-monitor-grace-period',
                    40,
                  ),
                  podEvictionTimeoutSeconds: seconds(flags.podEvictionTimeout, '--pod-eviction-timeout', 60),
                },
                ...nodeIpam(flags),
                ...autoscalerFlags(flags),
              },
            }
          : false,
      events: lineSink(io, globals),
    }).catch((err: unknown) => {
      // A damaged store is the operator's to repair (the message says how), not a tugboat bug.
      if (err instanceof StoreDamageError)
        throw new TugboatError('STORE_DAMAGED', err.message, { cause: err });
      throw err;
    });
    await signalled;
    await running.stop();
    return exitCode;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
