import { TugboatError } from '../errors.js';
import type { Status } from '../kube/index.js';

/**
 * The API server answered with an error status. Carries the HTTP status, the Kubernetes
 * `reason` (NotFound, AlreadyExists, Conflict, Expired/Gone, ...) and the full Status body.
 */
export class ApiError extends TugboatError {
  readonly status: number;
  readonly reason: string;
  readonly body: Status | undefined;

  constructor(method: string, path: string, status: number, body: Status | undefined, text: string) {
    const reason = body?.reason ?? `HTTP${status}`;
    const detail = body?.message ?? (text.slice(0, 300) || 'no body');
    super('API_ERROR', `${method} ${path} failed with ${status} ${reason}: ${detail}`);
    this.status = status;
    this.reason = reason;
    this.body = body;
  }
}

/** True when `err` is an API 404. */
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404;
}

/** True when `err` is an API 409 (AlreadyExists or a resourceVersion conflict). */
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.status === 409;
}

/** True when `err` is an API 410 (the requested resourceVersion is too old): relist. */
export function isGone(err: unknown): boolean {
  return err instanceof ApiError && err.status === 410;
}
