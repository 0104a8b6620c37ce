import { isStatus } from '../../src/client/api-error.js';
import type { KubeClient } from '../../src/client/client.js';
import { resources } from '../../src/client/types.js';
import type { ConfigMap } from '../../src/kube/index.js';

/** One write the API server acknowledged (201), with the runner's clock when the answer came. */
export interface AckedWrite {
  readonly name: string;
  readonly ackedAt: number;
}

/** Options of {@link runCountingWriter}. */
export interface CountingWriterOptions {
  readonly namespace: string;
  /** Names `<prefix>-000` … written in order. */
  readonly names: readonly string[];
  /** Least time from one write's start to the next one's, to spread the writes out. @default 0 */
  readonly minIntervalMs?: number;
  /** Called after each acknowledgement (e.g. to kill the master at the 150th). @default none */
  readonly onAck?: (acked: readonly AckedWrite[]) => void;
}

/** What a run of the writer saw: the acknowledged writes, and the first that was not. */
export interface CountingWriterResult {
  readonly acked: readonly AckedWrite[];
  readonly failed: { readonly name: string; readonly at: number; readonly error: string } | undefined;
}

/**
 * Creates one ConfigMap per name, one after another, as fast as the server answers, recording
 * each acknowledged write with its time; stops at the first write that is not acknowledged (the
 * master went away), since its fate is unknown. An AlreadyExists answer counts as a write that
 * had landed before (a retry of one whose answer was lost).
 */
export async function runCountingWriter(
  client: KubeClient,
  options: CountingWriterOptions,
): Promise<CountingWriterResult> {
  const acked: AckedWrite[] = [];
  for (const name of options.names) {
    const started = Date.now();
    try {
      await client.create<ConfigMap>(resources.configMaps, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: options.namespace },
        data: { n: name },
      });
    } catch (err) {
      if (!isStatus(err, 409))
        return { acked, failed: { name, at: Date.now(), error: (err as Error).message } };
    }
    acked.push({ name, ackedAt: Date.now() });
    options.onAck?.(acked);
    const wait = started + (options.minIntervalMs ?? 0) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return { acked, failed: undefined };
}

/** Names of the ConfigMaps in a namespace. */
export async function configMapNames(client: KubeClient, namespace: string): Promise<Set<string>> {
  const list = await client.list<ConfigMap>(resources.configMaps, { namespace });
  return new Set(list.items.map((c) => c.metadata.name ?? ''));
}
