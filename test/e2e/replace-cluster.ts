import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoScalingClient, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { parseDocument } from 'yaml';
import type { Moto } from '../harness/moto.js';
import { awsCli } from './booted-cluster.js';
import { kubectlOk } from './kubectl.js';

/** examples/e2e.yaml named `cluster`, with a master Elastic IP (the endpoint that must survive), written to `dir`. */
export function writeMasterEipSpec(dir: string, cluster: string): string {
  const doc = parseDocument(readFileSync('examples/e2e.yaml', 'utf8'));
  doc.set('name', cluster);
  doc.setIn(['master', 'eip'], true);
  const file = join(dir, `${cluster}.yaml`);
  writeFileSync(file, doc.toString());
  return file;
}

/**
 * TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity=false, by the SDK (the
 * AWS CLI takes seconds to start on a loaded machine, and the kill must land mid-write).
 */
export async function terminateKeepingCapacity(moto: Moto, instanceId: string): Promise<void> {
  const asg = new AutoScalingClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    await asg.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: instanceId,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
  } finally {
    asg.destroy();
  }
}

/** Running master instances of the cluster (tag `tugboat:role=master`: masters have no group tag). */
export async function runningMasters(env: NodeJS.ProcessEnv, cluster: string): Promise<string[]> {
  const out = await awsCli<{ Reservations: { Instances: { InstanceId: string }[] }[] }>(
    env,
    'ec2',
    'describe-instances',
    '--filters',
    `Name=tag:tugboat:cluster,Values=${cluster}`,
    'Name=tag:tugboat:role,Values=master',
    'Name=instance-state-name,Values=running',
  );
  return out.Reservations.flatMap((r) => r.Instances.map((i) => i.InstanceId)).sort();
}

/** The master pool's addresses and the instances they are associated with, by the AWS CLI. */
export async function masterEips(
  env: NodeJS.ProcessEnv,
  cluster: string,
): Promise<{ ip: string; instanceId: string | undefined }[]> {
  const out = await awsCli<{ Addresses: { PublicIp: string; InstanceId?: string }[] }>(
    env,
    'ec2',
    'describe-addresses',
    '--filters',
    `Name=tag:tugboat:cluster,Values=${cluster}`,
    'Name=tag:tugboat:pool,Values=master',
  );
  return out.Addresses.map((a) => ({ ip: a.PublicIp, instanceId: a.InstanceId || undefined }));
}

/** A pod as the replacement test compares it before and after: node, phase, `containerID#restarts`. */
export interface PodRun {
  readonly node: string | undefined;
  readonly phase: string | undefined;
  readonly containers: readonly string[];
}

/** The pods matching `selector` in default, by uid. */
export async function podRuns(kubeconfig: string, selector: string): Promise<Map<string, PodRun>> {
  const out = JSON.parse(await kubectlOk(kubeconfig, ['get', 'pods', '-l', selector, '-o', 'json'])) as {
    items: {
      metadata: { uid: string };
      spec: { nodeName?: string };
      status?: { phase?: string; containerStatuses?: { containerID?: string; restartCount: number }[] };
    }[];
  };
  return new Map(
    out.items.map((p) => [
      p.metadata.uid,
      {
        node: p.spec.nodeName,
        phase: p.status?.phase,
        containers: (p.status?.containerStatuses ?? []).map((c) => `${c.containerID}#${c.restartCount}`),
      },
    ]),
  );
}

/** Node name → renewTime (ms) of its Lease in kube-node-lease. */
export async function leaseRenewals(kubeconfig: string): Promise<Map<string, number>> {
  const out = JSON.parse(
    await kubectlOk(kubeconfig, ['get', 'leases', '-n', 'kube-node-lease', '-o', 'json']),
  ) as { items: { metadata: { name: string }; spec: { renewTime?: string } }[] };
  return new Map(out.items.map((l) => [l.metadata.name, Date.parse(l.spec.renewTime ?? '')]));
}
