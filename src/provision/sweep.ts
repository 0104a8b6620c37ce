import type { AwsClients } from '../aws/clients.js';
import { AwsCallError } from '../aws/errors.js';
import type { EventSink } from '../events.js';
import { jitter, sleep } from '../timing.js';
import { findLeftovers, type Leftover } from './leftovers.js';
import { KEY_PENDING_WINDOW_DAYS } from './template/secrets.js';
import { throwIfAborted } from './wait.js';

/** Options of `sweepCluster`. */
export interface SweepOptions {
  readonly aws: AwsClients;
  readonly cluster: string;
  readonly events: EventSink;
  readonly signal?: AbortSignal;
  /** Rounds of find-and-delete before giving up. @default 12 */
  readonly maxRounds?: number;
  /** Pause between rounds (doubles each round, capped at 30 s). @default 2_000 */
  readonly retryDelayMs?: number;
  /** Keep the objects under `<cluster>/backups/` in S3. @default false */
  readonly keepBackups?: boolean;
}

/** What the sweep did. */
export interface SweepResult {
  readonly deleted: readonly { readonly kind: string; readonly id: string }[];
  /** Resources still present after the last round, with the last error seen for each. */
  readonly remaining: readonly { readonly kind: string; readonly id: string; readonly error?: string }[];
  readonly rounds: number;
}

const GONE = /NotFound|NoSuchHostedZone|InvalidRoute53|does not exist|not found/i;

async function remove(aws: AwsClients, l: Leftover): Promise<void> {
  const ec2 = aws.ec2Sweep;
  switch (l.kind) {
    case 'auto-scaling-group':
      return aws.autoScaling.deleteGroup(l.id, true);
    case 'instance':
      return l.detail?.state === 'shutting-down' ? undefined : ec2.terminateInstances([l.id]);
    case 'launch-template':
      return ec2.deleteLaunchTemplate(l.id);
    case 'elastic-ip':
      if (l.detail?.associationId) await ec2.disassociateAddress(l.detail.associationId);
      return ec2.releaseAddress(l.id);
    case 'network-interface':
      if (l.detail?.attachmentId)
        await ec2.detachNetworkInterface(l.detail.attachmentId).catch(() => undefined);
      return ec2.deleteNetworkInterface(l.id);
    case 'security-group':
      return ec2.deleteSecurityGroup(l.id);
    case 'subnet':
      return ec2.deleteSubnet(l.id);
    case 'route-table':
      for (const a of l.detail?.associationIds ?? []) await ec2.disassociateRouteTable(a);
      return ec2.deleteRouteTable(l.id);
    case 'internet-gateway':
      for (const v of l.detail?.vpcIds ?? []) await ec2.detachInternetGateway(l.id, v);
      return ec2.deleteInternetGateway(l.id);
    case 'vpc':
      return ec2.deleteVpc(l.id);
    case 'key-pair':
      return ec2.deleteKeyPair(l.id);
    case 'dns-record':
      return l.detail?.record && l.detail.zoneId
        ? aws.route53.deleteRecordSets(l.detail.zoneId, [l.detail.record])
        : undefined;
    case 'hosted-zone':
      return aws.route53.deleteHostedZone(l.id);
    case 'template-object':
    case 'state-object': {
      const bucket = l.detail?.bucket;
      const key = bucket ? l.id.slice(`s3://${bucket.bucket}/`.length) : '';
      return bucket && key ? aws.s3.deleteObject(bucket, key) : undefined;
    }
    case 'ssm-parameter':
      await aws.ssm.deleteParameters([l.id]);
      return;
    case 'kms-key':
      return aws.kms.scheduleKeyDeletion(l.id, KEY_PENDING_WINDOW_DAYS);
  }
}

/**
 * Deletes everything tagged `tugboat:cluster=<name>` in dependency order (groups and instances
 * first, the VPC last, then key pair and DNS, S3 objects, parameters, and last the secrets key,
 * whose deletion is scheduled after 7 days). Each round finds what is left and tries to delete
 * it; a DependencyViolation (or anything still in use) waits for the next round, so ordering
 * mistakes and slow terminations sort themselves out. Bounded in rounds, stoppable by the signal,
 * and safe to re-run: it starts from what AWS reports, not from local state.
 */
export async function sweepCluster(options: SweepOptions): Promise<SweepResult> {
  const maxRounds = options.maxRounds ?? 12;
  const storage = { keepBackups: options.keepBackups ?? false };
  const deleted: { kind: string; id: string }[] = [];
  const errors = new Map<string, string>();
  let left: Leftover[] = [];
  let round = 0;
  let delay = options.retryDelayMs ?? 2_000;
  while (round < maxRounds) {
    throwIfAborted(options.signal);
    round++;
    left = await findLeftovers(options.aws, options.cluster, storage);
    if (left.length === 0) break;
    options.events.emit({
      code: 'sweep.round',
      level: 'info',
      message: `round ${round}: ${left.length} left (${[...new Set(left.map((l) => l.kind))].join(', ')})`,
      data: { round, left: left.length },
    });
    let blocked = false;
    let sgBlocked = false;
    for (const l of left) {
      throwIfAborted(options.signal);
      const key = `${l.kind} ${l.id}`;
      try {
        await remove(options.aws, l);
        errors.delete(key);
        if (!deleted.some((d) => d.kind === l.kind && d.id === l.id))
          deleted.push({ kind: l.kind, id: l.id });
        options.events.emit({
          code: 'sweep.deleted',
          level: 'info',
          message: key,
          data: { kind: l.kind, id: l.id },
        });
      } catch (err) {
        if (err instanceof AwsCallError && GONE.test(err.awsCode)) continue;
        if (!(err instanceof AwsCallError)) throw err;
        if (l.kind === 'security-group' && err.awsCode === 'DependencyViolation') sgBlocked = true;
        errors.set(key, err.message);
        blocked = true;
        options.events.emit({ code: 'sweep.retry', level: 'debug', message: `${key}: ${err.awsCode}` });
      }
    }
    if (sgBlocked) {
      // Groups whose rules name each other can never be deleted one by one: drop those rules.
      for (const g of left.filter((x) => x.kind === 'security-group')) {
        await options.aws.ec2Sweep.revokeSecurityGroupReferences(g.id).catch(() => 0);
      }
    }
    if (blocked && round < maxRounds) {
      await sleep(jitter(delay), options.signal);
      delay = Math.min(delay * 2, 30_000);
    }
  }
  if (round >= maxRounds) left = await findLeftovers(options.aws, options.cluster, storage);
  return {
    deleted,
    remaining: left.map((l) => {
      const error = errors.get(`${l.kind} ${l.id}`);
      return { kind: l.kind, id: l.id, ...(error ? { error } : {}) };
    }),
    rounds: round,
  };
}
