import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../../src/control-plane/store/index.js';
import { startEtcd } from '../../harness/etcd.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-durability-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const writerScript = join(import.meta.dirname, 'fixtures', 'store-writer.ts');

/** A store-writer child: its acknowledged writes, and a way to SIGKILL it. */
function startWriter(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', writerScript, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked = new Map<string, number>();
  let buffered = '';
  let errors = '';
  let ready = false;
  child.stdout!.on('data', (b: Buffer) => {
    buffered += b.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') ready = true;
      const [tag, key, rev] = line.split(' ');
      if (tag === 'ack') acked.set(key!, Number(rev));
    }
  });
  child.stderr!.on('data', (b: Buffer) => {
    errors = (errors + b.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    acked,
    isReady: () => ready,
    async waitForAcks(n: number, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (acked.size < n) {
        if (child.exitCode !== null) throw new Error(`writer exited early:\n${errors}`);
        if (Date.now() > deadline) throw new Error(`only ${acked.size} acks in ${timeoutMs} ms:\n${errors}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function expectAllAcked(store: Store, acked: Map<string, number>): Promise<number> {
  let max = 0;
  const missing: string[] = [];
  for (const [key, rev] of acked) {
    const kv = await store.get(key);
    if (!kv || kv.modRevision !== rev) missing.push(`${key}@${rev} -> ${kv?.modRevision}`);
    max = Math.max(max, rev);
  }
  expect(missing).toEqual([]);
  return max;
}

describe('embedded store durability', () => {
  it('keeps every acknowledged write across kill -9, with snapshots and log rotation under way', async () => {
    const dir = join(root, 'kill9');
    // Small segments force several rotations and snapshots while the writer runs.
    const writer = startWriter(['embedded', dir, String(64 * 1024)]);
    await writer.waitForAcks(1500);
    // The running writer holds the data dir: a second opener is refused.
    await expect(createStore({ kind: 'embedded', dataDir: dir })).rejects.toThrow(
      /locked by running process/,
    );
    await writer.kill();
    const acked = new Map(writer.acked);
    expect(acked.size).toBeGreaterThanOrEqual(1500);
    expect(readdirSync(dir).some((f) => f.startsWith('snapshot-'))).toBe(true);

    // The writer died holding the lock; the stale lock is taken over.
    const store = await createStore({ kind: 'embedded', dataDir: dir });
    try {
      const max = await expectAllAcked(store, acked);
      expect(await store.currentRevision()).toBeGreaterThanOrEqual(max);
      const next = await store.create('/registry/pods/after-crash', new Uint8Array([1]));
      expect(next.ok && next.kv.modRevision).toBeGreaterThan(max);
    } finally {
      await store.close();
    }
  });
});

describe('etcd store durability', () => {
  it('keeps every acknowledged write across kill -9 of the etcd member and a restart on its data dir', async () => {
    const etcd = await startEtcd();
    try {
      const member = etcd.members[0]!;
      const prefix = `/durability-${process.pid}`;
      const writer = startWriter(['etcd', member.clientUrl, prefix]);
      try {
        await writer.waitForAcks(300);
        await member.kill();
        const acked = new Map(writer.acked);
        await member.restart();
        const store = await createStore({
          kind: 'etcd',
          endpoints: etcd.endpoints,
          prefix,
          retryTimeoutMs: 30_000,
        });
        try {
          // The writer resumes once the member is back; acks after the restart must persist too.
          await writer.waitForAcks(acked.size + 50);
          expect(acked.size).toBeGreaterThanOrEqual(300);
          const max = await expectAllAcked(store, new Map(writer.acked));
          const next = await store.create('/registry/pods/after-crash', new Uint8Array([1]));
          expect(next.ok && next.kv.modRevision).toBeGreaterThan(max);
        } finally {
          await store.close();
        }
      } finally {
        await writer.kill();
      }
    } finally {
      await etcd.stop();
    }
  });
});
