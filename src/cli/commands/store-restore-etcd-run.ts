import { createAwsClients } from '../../aws/clients.js';
import { loadEtcdTls } from '../../control-plane/startup-files.js';
import { checkEtcdQuorum } from '../../control-plane/store/etcd-quorum.js';
import { createStore } from '../../control-plane/store/index.js';
import {
  createStoreBackup,
  restoreEtcdFromBackup,
  StateRestoreError,
} from '../../control-plane/store/shipping/index.js';
import { UsageError } from '../../errors.js';
import { confirm } from '../support/confirm.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { printResult } from '../support/output.js';
import type { StoreRestoreEtcdFlags } from './store.js';

const NAME = /^\d{8}T\d{6}Z$/;

/** The etcd and bucket flags both commands take, checked. */
async function etcdFlags(flags: StoreRestoreEtcdFlags) {
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
  return { endpoints, tls, stateBucket: flags.stateBucket };
}

async function backupTarget(io: CliIO, bucket: string, prefix: string | undefined) {
  const aws = await createAwsClients({ env: io.env, requestTimeoutMs: 30_000 });
  const ref = { bucket, owner: await aws.sts.accountId() };
  return { s3: aws.s3, target: { ref, prefix: prefix ?? '' } };
}

/**
 * Takes a backup of the store in etcd on this host (`createStoreBackup`): refused with the
 * quorum report when etcd cannot serve; prints the backup (its name, keys, revision).
 */
export async function runStoreBackupEtcd(
  io: CliIO,
  globals: GlobalOptions,
  flags: StoreRestoreEtcdFlags,
): Promise<number> {
  const { endpoints, tls, stateBucket } = await etcdFlags(flags);
  const quorum = await checkEtcdQuorum({ endpoints, ...(tls ? { tls } : {}) });
  if (!quorum.ok)
    throw new StateRestoreError(
      `no backup taken: ${quorum.detail}. Restore from the latest backup: see docs/ha-masters.md#lost-quorum`,
    );
  const { s3, target } = await backupTarget(io, stateBucket, flags.statePrefix);
  const store = await createStore({ kind: 'etcd', endpoints, ...(tls ? { tls } : {}), compactIntervalMs: 0 });
  try {
    const info = await createStoreBackup(store, s3, target);
    printResult(
      io,
      globals,
      info,
      () => `backup ${info.name}: ${info.keys} keys at revision ${info.revision}`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

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
  const { endpoints, tls, stateBucket } = await etcdFlags(flags);
  const question = `delete every key of the store in etcd (${endpoints.join(', ')}) and write backup ${flags.from}? Stop every master's control plane first`;
  if (!(await confirm(io, question, flags.yes))) return 1;
  const { s3, target } = await backupTarget(io, stateBucket, flags.statePrefix);
  const result = await restoreEtcdFromBackup({
    s3,
    target,
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
