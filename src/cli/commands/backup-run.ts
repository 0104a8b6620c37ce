import { createClusterBackup, listClusterBackups } from '../../index.js';
import type { AwsFlags } from '../support/aws-flags.js';
import { withAwsSession } from '../support/aws-session.js';
import { type CliIO, cliStateRoot, type GlobalOptions } from '../support/context.js';
import { renderTable } from '../support/format-cluster.js';
import { printResult } from '../support/output.js';

/** `tugboat backup create NAME`: prints the new backup's name (the value `restore --from` takes). */
export async function runBackupCreate(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: AwsFlags,
): Promise<number> {
  const info = await withAwsSession(io, globals, flags, undefined, (s) =>
    createClusterBackup({ ...s, cluster: name, stateRoot: cliStateRoot(io) }),
  );
  printResult(
    io,
    globals,
    info,
    () => `backup ${info.name} of ${name}: ${info.keys} keys at revision ${info.revision}`,
  );
  return 0;
}

/** `tugboat backup list NAME`: one row per complete backup, oldest first. */
export async function runBackupList(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: AwsFlags,
): Promise<number> {
  const backups = await withAwsSession(io, globals, flags, undefined, (s) =>
    listClusterBackups({ ...s, cluster: name }),
  );
  printResult(io, globals, { cluster: name, backups }, () =>
    backups.length === 0
      ? `no backups of ${name} yet: \`tugboat backup create ${name}\` takes one`
      : renderTable(
          ['NAME', 'CREATED', 'REVISION', 'KEYS'],
          backups.map((b) => [b.name, b.createdAt, String(b.revision), String(b.keys)]),
        ),
  );
  return 0;
}
