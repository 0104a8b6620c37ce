/** An object as the store returns it (only metadata is read here). */
export interface LookedUp {
  readonly metadata?: {
    readonly name?: unknown;
    readonly uid?: unknown;
    readonly deletionTimestamp?: unknown;
  };
  readonly spec?: unknown;
  readonly [key: string]: unknown;
}

/** The kinds a token is about: its ServiceAccount and the object it is bound to. */
export type LookupResource = 'serviceaccounts' | 'pods' | 'secrets' | 'nodes';

/** Reads objects for issuing and verifying tokens (the API server passes its store). */
export interface ObjectLookup {
  get(resource: LookupResource, namespace: string | undefined, name: string): Promise<LookedUp | undefined>;
}

/** A token request refused, with the HTTP status and reason kube-apiserver gives. */
export class TokenRequestError extends Error {
  constructor(
    readonly code: 400 | 403 | 404 | 409 | 422,
    readonly reason: 'BadRequest' | 'Forbidden' | 'NotFound' | 'Conflict' | 'Invalid',
    message: string,
    readonly causes: readonly { field: string; message: string; reason: string }[] = [],
  ) {
    super(message);
    this.name = 'TokenRequestError';
  }
}

/** The uid of a looked-up object ('' when absent). */
export function uidOf(obj: LookedUp | undefined): string {
  return typeof obj?.metadata?.uid === 'string' ? obj.metadata.uid : '';
}
