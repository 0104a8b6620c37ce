import * as grpc from '@grpc/grpc-js';
import Long from 'long';
import protobuf from 'protobufjs/light.js';
import { isTransientEtcdError } from './etcd-errors.js';
import { etcdDescriptor } from './etcd-proto.js';

// Set explicitly: protobufjs finds these with a run-time require() that the single-file bundle
// cannot answer, and without Long a uint64 member ID would lose precision as a number.
protobuf.util.Long = Long;
protobuf.util.Buffer = Buffer;
protobuf.configure();

const root = protobuf.Root.fromJSON(etcdDescriptor as protobuf.INamespace);

/** An int64/uint64 as protobufjs decodes it. */
export type Int64 = Long | number;

/** A revision or count: far below 2^53 in practice. */
export function num(value: Int64 | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

/** A uint64 ID (member IDs are random 64-bit numbers) as its decimal string. */
export function id64(value: Int64): string {
  return typeof value === 'number' ? String(value) : Long.fromValue(value).toUnsigned().toString();
}

/** mvccpb.KeyValue as decoded. */
export interface EtcdKv {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly create_revision: Int64;
  readonly mod_revision: Int64;
}

export interface EtcdHeader {
  readonly revision: Int64;
  readonly member_id: Int64;
  readonly cluster_id: Int64;
  readonly raft_term: Int64;
}

/** Client TLS for etcd: the CA that signed the members, and a client certificate when required. */
export interface EtcdTlsOptions {
  readonly ca: Buffer | string;
  /** @default no client certificate */
  readonly cert?: Buffer | string;
  /** @default no client certificate */
  readonly key?: Buffer | string;
}

/** Options for {@link EtcdClient}. */
export interface EtcdClientOptions {
  /** Client URLs of the members, e.g. `https://10.0.0.5:2379`. */
  readonly endpoints: readonly string[];
  /** @default plain gRPC (only sensible on loopback) */
  readonly tls?: EtcdTlsOptions;
  /**
   * A unary call that takes longer fails with "Deadline exceeded" (transient: the caller retries on
   * the next member), so a member cut off from its quorum cannot stall a request. @default 5000
   */
  readonly callTimeoutMs?: number;
}

export type EtcdService = 'KV' | 'Cluster' | 'Maintenance';

/** A bidirectional etcd watch stream (etcdserverpb.Watch/Watch). */
export type EtcdWatchStream = grpc.ClientDuplexStream<object, Record<string, unknown>>;

/**
 * A small etcd v3 gRPC client: one grpc-js channel per endpoint, unary calls on the current one,
 * moving on to the next endpoint when a call fails transiently (the caller retries). The endpoint
 * list can be replaced while calls run ({@link setEndpoints}, fed by etcd-sync.ts). The service
 * definitions are compiled in (etcd-proto.ts), so nothing is read from disk at run time.
 */
export class EtcdClient {
  private readonly credentials: grpc.ChannelCredentials;
  private readonly channels = new Map<string, grpc.Client>();
  private list: readonly string[];
  private current: string;
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: EtcdClientOptions) {
    const tls = options.tls;
    this.credentials = tls
      ? grpc.credentials.createSsl(
          Buffer.from(tls.ca),
          tls.key ? Buffer.from(tls.key) : null,
          tls.cert ? Buffer.from(tls.cert) : null,
        )
      : grpc.credentials.createInsecure();
    for (const endpoint of options.endpoints) this.channelFor(endpoint);
    this.list = [...options.endpoints];
    this.current = this.list[0] ?? '';
  }

  /** The endpoints calls go to now: the configured ones until {@link setEndpoints} replaces them. */
  get endpoints(): readonly string[] {
    return this.list;
  }

  /** True after {@link close}: calls fail and {@link setEndpoints} does nothing. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Replaces the endpoint list (deduplicated, at least one). Calls already running finish on their
   * endpoint; the current endpoint stays when it is still listed, otherwise calls move to the
   * first new one. Watches are told ({@link onEndpointsChanged}) before the channels of removed
   * endpoints close, so they can move and resume.
   */
  setEndpoints(urls: readonly string[]): void {
    if (this.closed) return;
    const next = [...new Set(urls)];
    if (next.length === 0)
      throw new Error('etcd endpoints cannot be empty: keep at least one member client URL');
    for (const endpoint of next) grpcTarget(endpoint); // refuse a bad list before changing anything
    const removed = this.list.filter((e) => !next.includes(e));
    for (const endpoint of next) this.channelFor(endpoint);
    this.list = next;
    if (!next.includes(this.current)) this.current = next[0]!;
    for (const listener of [...this.listeners]) listener();
    for (const endpoint of removed) {
      // grpc-js lets calls that already started finish on a closed channel; queued ones fail
      // "unavailable", which callers retry on the current endpoint.
      this.channels.get(endpoint)?.close();
      this.channels.delete(endpoint);
    }
  }

  /** Calls `listener` after every {@link setEndpoints}; returns the unsubscribe function. */
  onEndpointsChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `service/method` on the current endpoint, or on endpoint `index` of {@link endpoints}
   * when given; `timeoutMs` overrides the client's call timeout for this call.
   */
  unary<R = Record<string, unknown>>(
    service: EtcdService,
    method: string,
    request: object,
    index?: number,
    timeoutMs?: number,
  ): Promise<R> {
    const endpoint = index === undefined ? this.current : this.list[index];
    const channel = endpoint === undefined ? undefined : this.channels.get(endpoint);
    if (!channel) return Promise.reject(new Error(`no etcd endpoint number ${index ?? 0}`));
    const { requestType, responseType } = methodTypes(service, method);
    const deadline = Date.now() + (timeoutMs ?? this.options.callTimeoutMs ?? 5_000);
    return new Promise<R>((resolve, reject) => {
      channel.makeUnaryRequest(
        `/etcdserverpb.${service}/${method}`,
        (value: object) => Buffer.from(requestType.encode(requestType.fromObject(value)).finish()),
        (bytes: Buffer) => responseType.decode(bytes) as unknown as R,
        request,
        new grpc.Metadata(),
        { deadline },
        (err, res) => {
          if (err || res === undefined) {
            const error = err ?? new Error(`etcd ${method}: empty response`);
            if (index === undefined && isTransientEtcdError(error)) this.failover(endpoint!);
            reject(error);
          } else resolve(res);
        },
      );
    });
  }

  /**
   * Opens a watch stream on the current endpoint. `hasleader` makes etcd end the stream when its
   * member loses the leader (as clientv3's WithRequireLeader), so a partitioned member cannot
   * leave a watch silently stalled. `endpoint` names the endpoint for {@link failover}.
   */
  watch(): { stream: EtcdWatchStream; endpoint: string } {
    const endpoint = this.current;
    const { requestType, responseType } = methodTypes('Watch', 'Watch');
    const metadata = new grpc.Metadata();
    metadata.set('hasleader', 'true');
    const stream = this.channels.get(endpoint)!.makeBidiStreamRequest(
      '/etcdserverpb.Watch/Watch',
      (value: object) => Buffer.from(requestType.encode(requestType.fromObject(value)).finish()),
      (bytes: Buffer) => responseType.decode(bytes) as unknown as Record<string, unknown>,
      metadata,
    );
    return { stream, endpoint };
  }

  /** `endpoint` failed: later calls go to the next one (unless another call moved on already). */
  failover(endpoint: string): void {
    if (this.current !== endpoint) return;
    const at = this.list.indexOf(endpoint);
    this.current = this.list[(at + 1) % this.list.length]!;
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
  }

  private channelFor(endpoint: string): grpc.Client {
    let channel = this.channels.get(endpoint);
    if (!channel) {
      channel = new grpc.Client(grpcTarget(endpoint), this.credentials, {
        // grpc-js refuses responses over 4 MiB by default; listing 10,000 pods is ~10 MiB.
        'grpc.max_receive_message_length': 0x7fffffff,
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
      });
      this.channels.set(endpoint, channel);
    }
    return channel;
  }
}

/** `https://10.0.0.5:2379` → `10.0.0.5:2379` (grpc-js takes host:port; TLS comes from credentials). */
function grpcTarget(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`etcd endpoint ${JSON.stringify(endpoint)} is not a URL: use https://HOST:2379`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`etcd endpoint ${endpoint} must be http:// or https://`);
  return `${url.hostname}:${url.port || '2379'}`;
}

const types = new Map<string, { requestType: protobuf.Type; responseType: protobuf.Type }>();

function methodTypes(service: string, method: string) {
  const name = `${service}/${method}`;
  let found = types.get(name);
  if (!found) {
    const m = root.lookupService(`etcdserverpb.${service}`).methods[method];
    if (!m) throw new Error(`etcd method ${name} is not in the compiled descriptor`);
    found = {
      requestType: root.lookupType(`etcdserverpb.${m.requestType}`),
      responseType: root.lookupType(`etcdserverpb.${m.responseType}`),
    };
    types.set(name, found);
  }
  return found;
}
