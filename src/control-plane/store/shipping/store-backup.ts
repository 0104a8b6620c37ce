import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Api } from '../../../aws/s3.js';
import { nodeFileSystem } from '../embedded/file-io.js';
import { writeSnapshot } from '../embedded/snapshot.js';
import { type KeyValue, type Store, StoreError } from '../types.js';
import { type BackupInfo, backupName, uploadBackup } from './backup.js';
import type { StateTarget } from './layout.js';

/** Keys read per request: a page of etcd's largest values (1.5 MiB) stays well under memory. */
const PAGE_KEYS = 200;
/** Reads restarted when compaction overtakes the pinned revision mid-read. */
const ATTEMPTS = 3;

/** Options of {@link createStoreBackup}. */
export interface StoreBackupOptions {
  /** The backup's time (its name). @default now */
  readonly now?: Date;
  /** @default 200 */
  readonly pageKeys?: number;
  /** Called after each page is written (tests write between pages). */
  readonly onPage?: (keys: number) => void | Promise<void>;
}

/**
 * Every key (`/...`) of `store` as of one revision, page by page (each page a Range pinned to that
 * revision, so writes during the read never mix in); the revision is the store's current one when
 * the read starts. Counts the keys into `read.keys`.
 */
async function* readAtRevision(
  store: Store,
  revision: number,
  pageKeys: number,
  read: { keys: number },
  onPage?: (keys: number) => void | Promise<void>,
): AsyncGenerator<KeyValue> {
  let startKey: string | undefined;
  for (;;) {
    // Every store key starts with '/' (`/registry/...`); a prefix range on '' would also take
    // the keys of another cluster whose etcd prefix starts with this one's (`/tugboat-2/...`).
    const page = await store.range('/', {
      prefix: true,
      revision,
      limit: pageKeys,
      ...(startKey === undefined ? {} : { startKey }),
    });
    for (const kv of page.kvs) yield kv;
    read.keys += page.kvs.length;
    await onPage?.(read.keys);
    const last = page.kvs.at(-1);
    if (!page.more || !last) return;
    startKey = `${last.key}\0`;
  }
}

/**
 * Takes a backup of a live store (etcd): reads every key at one revision, page by page, into a
 * snapshot file in the embedded store's format (a scratch file, so memory holds one page), and
 * stores it as `<prefix>/backups/<name>/snapshot` with its `manifest.json` last, exactly as a
 * backup of the shipped state, so `backup list` lists it and a restore reads it. A read overtaken
 * by compaction starts again at the then current revision.
 */
export async function createStoreBackup(
  store: Store,
  s3: S3Api,
  target: StateTarget,
  options: StoreBackupOptions = {},
): Promise<BackupInfo> {
  const now = options.now ?? new Date();
  const pageKeys = options.pageKeys ?? PAGE_KEYS;
  const scratch = await mkdtemp(join(tmpdir(), 'tugboat-store-backup-'));
  try {
    for (let attempt = 1; ; attempt++) {
      const revision = await store.currentRevision();
      const read = { keys: 0 };
      try {
        const kvs = readAtRevision(store, revision, pageKeys, read, options.onPage);
        const data = { revision, compactRevision: revision, kvs, history: [] };
        const { name } = await writeSnapshot(scratch, data, nodeFileSystem);
        const info: BackupInfo = {
          name: backupName(now),
          createdAt: now.toISOString(),
          revision,
          keys: read.keys,
          generation: 0,
          store: 'etcd',
        };
        // The upload holds the file once (S3 takes one body); the read above held one page.
        await uploadBackup(s3, target, info, await readFile(join(scratch, name)));
        return info;
      } catch (err) {
        if (!(err instanceof StoreError && err.reason === 'Compacted') || attempt >= ATTEMPTS) throw err;
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
