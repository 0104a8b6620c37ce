import { createAwsClients } from '../../aws/clients.js';
import { loadEtcdTls } from '../../control-plane/startup-files.js';
import { restoreEtcdFromBackup } from '../../control-plane/store/shipping/index.js';
import { UsageError } from '../../errors.js';
import { confirm } from '../support/confirm.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { printResult } from '../support/output.js';
import type { StoreRestoreEtcdFlags } from './store.js';

const NAME = /^\d{8}T\d{6}Z$/;

/**
 * Restores a backup into etcd on this host: asks unless --yes (it deletes every key under the
 * store's prefix first), then prints the keys deleted and written and the revision reached.
 */
export async function runStoreRestoreEtcd(
  io: CliIO,
  globals: GlobalOptions,
  flags: StoreRestoreEtcdFlags,
): Promise<number> {
  if (!flags.from || !NAME.test(flags.from))
    throw new UsageError(
      `--from ${flags.from === undefined ? 'is required' : `"${flags.from}" is not a backup name`}: use a name from \`tugboat backup list\`, e.g. 20261202T165403Z`,
    );
  if (!flags.stateBucket) throw new UsageError('--state-bucket is required: the bucket the backups are in');
  const endpoints = (flags.etcdEndpoints ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (endpoints.length === 0)
    throw new UsageError('--etcd-endpoints is required, e.g. --etcd-endpoints https://10.0.1.5:2379');
  const tls = await loadEtcdTls(
    { etcdCaFile: flags.etcdCafile, etcdCertFile: flags.etcdCertfile, etcdKeyFile: flags.etcdKeyfile },
    endpoints,
  );
  const question = `delete every key of the store in etcd (${endpoints.join(', ')}) and write backup ${flags.from}? Stop every master's control plane first`;
  if (!(await confirm(io, question, flags.yes))) return 1;
  const aws = await createAwsClients({ env: io.env, requestTimeoutMs: 30_000 });
  const ref = { bucket: flags.stateBucket, owner: await aws.sts.accountId() };
  const result = await restoreEtcdFromBackup({
    s3: aws.s3,
    target: { ref, prefix: flags.statePrefix ?? '' },
    name: flags.from,
    endpoints,
    ...(tls ? { tls } : {}),
  });
  printResult(
    io,
    globals,
    result,
    () =>
      `restored ${flags.from} into etcd: ${result.deleted} keys deleted, ${result.keys} written, revision ${result.revision} (history before it compacted); start the control planes`,
  );
  return 0;
}
