import { ApiError, type KubeClient, resources } from '../../src/client/index.js';
import type { KubeObject } from '../../src/kube/index.js';

/** Values a key may hold at the end: `null` is "absent". */
type Allowed = Set<string | null>;

/** What the counting client saw, for the soak's verdict and report. */
export interface CountingReport {
  readonly acknowledged: number;
  readonly unacknowledged: number;
  readonly reads: number;
  /** 5xx answers (method, path, status, message): none is acceptable. */
  readonly serverErrors: readonly string[];
  /** Answers no writer of this key expects (e.g. a 422 for a valid ConfigMap). */
  readonly unexpected: readonly string[];
}

/** Answers of a server that is starting or shedding load: the request was not applied. */
const UNAVAILABLE = [429, 503];

type ConfigMap = KubeObject & { data?: Record<string, string> };

/**
 * Writes ConfigMaps (create, merge patch, delete) from `workers` loops, each owning its own keys,
 * and remembers for every key the values it may hold: the last acknowledged one plus any write
 * attempted after it whose answer was lost (the server may or may not have applied it). Reads
 * (get, list) run alongside. `verify` then checks that every acknowledged write is present.
 */
export class CountingClient {
  private readonly allowed = new Map<string, Allowed>();
  private acknowledged = 0;
  private unacknowledged = 0;
  private reads = 0;
  private readonly serverErrors: string[] = [];
  private readonly unexpected: string[] = [];

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly keysPerWorker = 15,
  ) {}

  /** Runs one worker until `until` (epoch ms). Keys `w<worker>-<n>` belong to this worker only. */
  async runWorker(worker: number, random: () => number, until: number): Promise<void> {
    let n = 0;
    while (Date.now() < until) {
      const key = `w${worker}-${Math.floor(random() * this.keysPerWorker)}`;
      const value = `${worker}.${n++}`;
      const op = random();
      const ok =
        op < 0.3
          ? await this.write(key, value, () => this.create(key, value), [409])
          : op < 0.65
            ? await this.write(key, value, () => this.patch(key, value), [404])
            : op < 0.8
              ? await this.write(key, null, () => this.remove(key), [404])
              : await this.read(key, op < 0.9);
      // A control plane that is down refuses at once: do not spin.
      await new Promise((r) => setTimeout(r, ok ? 10 : 200));
    }
  }

  private async create(key: string, value: string): Promise<void> {
    await this.client.create<ConfigMap>(resources.configMaps, {
      metadata: { name: key, namespace: this.namespace },
      data: { v: value },
    });
  }

  private async patch(key: string, value: string): Promise<void> {
    await this.client.patch(resources.configMaps, key, { data: { v: value } }, { namespace: this.namespace });
  }

  private async remove(key: string): Promise<void> {
    await this.client.delete(resources.configMaps, key, { namespace: this.namespace });
  }

  /**
   * One write. A success sets the key's allowed values to exactly `value`; an API answer in
   * `benign` tells the state too (409 on create: it exists, unchanged; 404: it is absent); a lost
   * answer adds `value` to what the key may hold.
   */
  private async write(
    key: string,
    value: string | null,
    send: () => Promise<void>,
    benign: readonly number[],
  ): Promise<boolean> {
    const allowed = this.allowed.get(key) ?? new Set<string | null>([null]);
    this.allowed.set(key, allowed);
    try {
      await send();
      this.allowed.set(key, new Set([value]));
      this.acknowledged++;
      return true;
    } catch (err) {
      if (err instanceof ApiError && benign.includes(err.status)) {
        if (err.status === 404) this.allowed.set(key, new Set([null]));
        else allowed.delete(null);
        return true;
      }
      if (err instanceof ApiError && !UNAVAILABLE.includes(err.status)) {
        (err.status >= 500 ? this.serverErrors : this.unexpected).push(err.message);
      }
      allowed.add(value);
      this.unacknowledged++;
      return false;
    }
  }

  private async read(key: string, list: boolean): Promise<boolean> {
    try {
      if (list) await this.client.list(resources.configMaps, { namespace: this.namespace });
      else await this.client.get(resources.configMaps, key, this.namespace);
      this.reads++;
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return true;
      if (err instanceof ApiError && !UNAVAILABLE.includes(err.status)) {
        (err.status >= 500 ? this.serverErrors : this.unexpected).push(err.message);
      }
      return false;
    }
  }

  /** Every key whose stored value is not one it may hold, as `key: stored (allowed ...)`. */
  async verify(): Promise<string[]> {
    const stored = new Map<string, string | null>();
    const list = await this.client.list<ConfigMap>(resources.configMaps, { namespace: this.namespace });
    for (const cm of list.items) stored.set(cm.metadata.name ?? '', cm.data?.v ?? '');
    const wrong: string[] = [];
    for (const [key, allowed] of this.allowed) {
      const value = stored.get(key) ?? null;
      if (!allowed.has(value))
        wrong.push(`${key}: stored ${value} (acknowledged or in flight: ${[...allowed].join(', ')})`);
    }
    return wrong;
  }

  report(): CountingReport {
    return {
      acknowledged: this.acknowledged,
      unacknowledged: this.unacknowledged,
      reads: this.reads,
      serverErrors: this.serverErrors,
      unexpected: this.unexpected,
    };
  }
}
