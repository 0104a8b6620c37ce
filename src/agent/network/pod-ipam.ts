import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatCidr, parseCidr } from '../../config/cidr.js';

interface IpamState {
  cidr: string;
  /** Last address handed out (as a number), so a freed address is not reused at once. */
  last: number;
  allocations: Record<string, string>;
}

const ipText = (n: number) => formatCidr({ base: n, prefix: 32 }).replace(/\/32$/, '');

/**
 * The node's own address allocator for pods (like CNI's host-local IPAM): addresses of the node's
 * block, the first one kept for the bridge (the pods' gateway), the network and broadcast
 * addresses never given. The state (pod uid → address) is written to a file after every change
 * (write then rename, so a crash never leaves half a file) and rebuilt from the running sandboxes
 * at agent start (`retain`). A damaged or foreign state file is replaced, never trusted.
 */
export class PodIpam {
  /** The last save in the queue (see {@link save}). */
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private state: IpamState,
    private readonly first: number,
    private readonly lastHost: number,
  ) {}

  /** Opens the allocator for the node's block (`10.244.1.0/24`); state of another block is dropped. */
  static async open(file: string, cidr: string): Promise<PodIpam> {
    const parsed = parseCidr(cidr);
    if (!parsed || parsed.hostBitsSet || parsed.cidr.prefix > 29) {
      throw new RangeError(`node pod range ${cidr} is not a network block of /29 or larger`);
    }
    const base = parsed.cidr.base;
    const size = 2 ** (32 - parsed.cidr.prefix);
    let state: IpamState = { cidr: formatCidr(parsed.cidr), last: base + 1, allocations: {} };
    try {
      const loaded = JSON.parse(await readFile(file, 'utf8')) as IpamState;
      if (loaded && loaded.cidr === state.cidr && typeof loaded.allocations === 'object') state = loaded;
    } catch {
      // absent or damaged: start empty; retain() brings back the running pods' addresses
    }
    return new PodIpam(file, state, base + 2, base + size - 2);
  }

  /** The gateway address (the bridge's) and the block's prefix. */
  get gateway(): { ip: string; prefix: number } {
    return { ip: ipText(this.first - 1), prefix: parseCidr(this.state.cidr)!.cidr.prefix };
  }

  /** The pod's address: the one it has, else the next free one; throws when the block is full. */
  async allocate(uid: string): Promise<string> {
    const have = this.state.allocations[uid];
    if (have) return have;
    const used = new Set(Object.values(this.state.allocations));
    const span = this.lastHost - this.first + 1;
    for (let i = 1; i <= span; i++) {
      const n = this.first + ((((this.state.last - this.first + i) % span) + span) % span);
      const ip = ipText(n);
      if (used.has(ip)) continue;
      this.state.allocations[uid] = ip;
      this.state.last = n;
      await this.save();
      return ip;
    }
    throw new RangeError(`no free pod address left in ${this.state.cidr}: delete pods or lower maxPods`);
  }

  /** Frees the pod's address (absent is fine). */
  async release(uid: string): Promise<void> {
    if (!(uid in this.state.allocations)) return;
    delete this.state.allocations[uid];
    await this.save();
  }

  /** Keeps exactly these allocations (from the running sandboxes' labels) and frees the rest. */
  async retain(running: ReadonlyMap<string, string>): Promise<void> {
    this.state.allocations = Object.fromEntries(running);
    await this.save();
  }

  /** The current allocations, pod uid → address. */
  get allocations(): ReadonlyMap<string, string> {
    return new Map(Object.entries(this.state.allocations));
  }

  /**
   * Writes the state. Pods are synced concurrently, so saves queue: two at once would share the
   * temporary file, and the second rename would find it gone (ENOENT, a failed pod sync).
   */
  private save(): Promise<void> {
    const write = async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, JSON.stringify(this.state), { mode: 0o600 });
      await rename(tmp, this.file);
    };
    const next = this.saving.then(write, write);
    this.saving = next.catch(() => {});
    return next;
  }
}
