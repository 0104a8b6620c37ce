import type { UntypedObject } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
import { type KeyValue, type Store, StoreError } from '../store/types.js';
import { objectTooLarge } from './lifecycle.js';
import {
  decodeObject,
  encodeObject,
  jsonAs,
  listPrefix,
  objectAs,
  objectJson,
  objectKey,
  servedAs,
  storedAs,
} from './objects.js';
import { ApiError, alreadyExists, notFound } from './status.js';
import { isUnchangedWrite } from './unchanged-write.js';

/** Limits of the typed persistence layer. */
export interface ResourceStoreOptions {
  /** Objects whose JSON is larger answer 413. @default 1_572_864 (1.5 MiB, etcd's default) */
  readonly maxObjectBytes?: number;
  /** Attempts of a read-modify-write before giving up with 409 Conflict. @default 10 */
  readonly maxRetries?: number;
  /** Keys read from the store per range call when listing. @default 1000 */
  readonly chunkSize?: number;
}

/** Result of one page of a list. */
export interface ListPage {
  /** Decoded objects (empty when `raw` was asked for). */
  readonly items: UntypedObject[];
  /** JSON text of each object (only when `raw` was asked for): no parse, no re-serialization. */
  readonly raw?: string[];
  readonly revision: number;
  /** Key to continue from, when more items exist. */
  readonly nextKey: string | undefined;
}

/**
 * Typed persistence of Kubernetes objects over the Store seam: keys, encoding, resourceVersion
 * from modRevision, optimistic concurrency and mapping of store failures to Status errors.
 */
export class ResourceStore {
  readonly maxObjectBytes: number;
  private readonly maxRetries: number;
  private readonly chunkSize: number;

  constructor(
    readonly store: Store,
    options: ResourceStoreOptions = {},
  ) {
    this.maxObjectBytes = options.maxObjectBytes ?? 1_572_864;
    this.maxRetries = options.maxRetries ?? 10;
    this.chunkSize = options.chunkSize ?? 1000;
  }

  private encode(obj: UntypedObject): Uint8Array {
    const bytes = encodeObject(obj);
    if (bytes.length > this.maxObjectBytes) throw objectTooLarge(bytes.length, this.maxObjectBytes);
    return bytes;
  }

  async get(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
  ): Promise<UntypedObject | undefined> {
    const kv = await this.store.get(objectKey(def, namespace, name)).catch(mapStoreError);
    return kv ? objectAs(def, decodeObject(kv)) : undefined;
  }

  async mustGet(def: ResourceDef, namespace: string | undefined, name: string): Promise<UntypedObject> {
    const obj = await this.get(def, namespace, name);
    if (!obj) throw notFound({ group: def.group, resource: def.plural }, name);
    return obj;
  }

  async create(def: ResourceDef, obj: UntypedObject): Promise<UntypedObject> {
    const name = String(obj.metadata?.name);
    const res = await this.store
      .create(objectKey(def, obj.metadata?.namespace, name), this.encode(storedAs(def, obj)))
      .catch(mapStoreError);
    if (!res.ok) throw alreadyExists({ group: def.group, resource: def.plural }, name);
    return servedAs(def, decodeObject(res.kv));
  }

  /**
   * Read-modify-write with retries on concurrent changes. `mutate` returns the new object, or
   * undefined to leave it unchanged; a result equal to the current object but for managedFields
   * timestamps is not written either (the resourceVersion stays, no watch event); errors it throws (including 409 for a stale body) propagate.
   */
  async update(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    mutate: (current: UntypedObject) => UntypedObject | undefined | Promise<UntypedObject | undefined>,
  ): Promise<UntypedObject> {
    const key = objectKey(def, namespace, name);
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const kv = await this.store.get(key).catch(mapStoreError);
      if (!kv) throw notFound({ group: def.group, resource: def.plural }, name);
      const current = servedAs(def, decodeObject(kv));
      const next = await mutate(structuredClone(current));
      if (!next || isUnchangedWrite(current, next)) return current;
      const res = await this.store
        .update(key, this.encode(storedAs(def, next)), kv.modRevision)
        .catch(mapStoreError);
      if (res.ok) return servedAs(def, decodeObject(res.kv));
    }
    throw new ApiError(
      409,
      'Conflict',
      `too many concurrent changes to ${def.plural} "${name}": retry the request`,
    );
  }

  /** Deletes when the stored revision is still `expected` (or unconditionally); returns the last state. */
  async delete(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    expected?: number,
  ): Promise<UntypedObject | undefined> {
    const res = await this.store.delete(objectKey(def, namespace, name), expected).catch(mapStoreError);
    if (!res.ok) return undefined;
    return res.prev ? objectAs(def, decodeObject(res.prev, res.revision)) : undefined;
  }

  /**
   * One page of objects under the resource (and namespace), read at `revision` when given. The
   * store is read in chunks of at most `chunkSize` keys at one revision, so a large list stays
   * one consistent snapshot without one huge store response (etcd caps message sizes).
   */
  async list(
    def: ResourceDef,
    namespace: string | undefined,
    options: { limit?: number; startKey?: string; revision?: number; raw?: boolean } = {},
  ): Promise<ListPage> {
    const prefix = listPrefix(def, namespace);
    const want = options.limit ? options.limit + 1 : Number.POSITIVE_INFINITY;
    const kvs: KeyValue[] = [];
    let revision = options.revision;
    let startKey = options.startKey;
    for (;;) {
      const chunk = Math.min(want - kvs.length, this.chunkSize);
      const res = await this.store
        .range(prefix, { prefix: true, limit: chunk, startKey, revision })
        .catch(mapStoreError);
      revision ??= res.revision;
      kvs.push(...res.kvs);
      if (!res.more || res.kvs.length === 0 || kvs.length >= want) break;
      startKey = `${res.kvs[res.kvs.length - 1]!.key}\u0000`;
    }
    let nextKey: string | undefined;
    if (options.limit && kvs.length > options.limit) {
      nextKey = kvs[options.limit]!.key;
      kvs.length = options.limit;
    }
    if (options.raw)
      return {
        items: [],
        raw: kvs.map((kv) => jsonAs(def, objectJson(kv))),
        revision: revision ?? 0,
        nextKey,
      };
    return { items: kvs.map((kv) => objectAs(def, decodeObject(kv))), revision: revision ?? 0, nextKey };
  }

  async revision(): Promise<number> {
    return this.store.currentRevision().catch(mapStoreError);
  }
}

/** Turns store failures into Status errors (410 for compacted, 413 for too large, 503 otherwise). */
export function mapStoreError(err: unknown): never {
  if (err instanceof StoreError) {
    if (err.reason === 'Compacted')
      throw new ApiError(410, 'Expired', `too old resource version: ${err.message}`);
    if (err.reason === 'TooLarge')
      throw new ApiError(413, 'RequestEntityTooLarge', `object is too large for the store: ${err.message}`);
    if (err.reason === 'FutureRevision')
      throw new ApiError(400, 'BadRequest', `resource version is in the future: ${err.message}`);
    throw new ApiError(503, 'ServiceUnavailable', `the store is unavailable: ${err.message}`);
  }
  throw err;
}
