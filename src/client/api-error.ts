import { TugboatError } from '../errors.js';
import type { Status } from '../kube/index.js';

/**
 * The API server answered with an error status. Carries the HTTP status, the Kubernetes
 * `reason` (NotFound, AlreadyExists, Conflict, Expired/Gone, ...) and the full Status body.
 * The one client-side API error: the REST client, the controllers' `ControllerApi` and watch
 * ERROR events all raise it (the server side has its own, control-plane/api/status.ts).
 */
export class ApiError extends TugboatError {
  readonly status: number;
  readonly reason: string;
  readonly body: Status | undefined;

  /** `request` ("GET /api/v1/pods") prefixes the message when the error answers one HTTP request. */
  constructor(status: number, body: Status | undefined, text: string, request?: string) {
    const reason = body?.reason ?? `HTTP${status}`;
    const detail = body?.message ?? (text.slice(0, 300) || 'no body');
    super('API_ERROR', request ? `${request} failed with ${status} ${reason}: ${detail}` : detail);
    this.status = status;
    this.reason = reason;
    this.body = body;
  }
}

/** An ApiError from a status alone (a watch ERROR event, an in-memory API): the message is `message`. */
export function statusError(code: number, reason: string, message: string): ApiError {
  return new ApiError(
    code,
    { apiVersion: 'v1', kind: 'Status', status: 'Failure', code, reason, message },
    '',
  );
}

/** True for an ApiError with this HTTP status. */
export function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiError && err.status === code;
}

/** True when `err` is an API 404. */
export function isNotFound(err: unknown): boolean {
  return isStatus(err, 404);
}

/** True when `err` is an API 409 (AlreadyExists or a resourceVersion conflict). */
export function isConflict(err: unknown): boolean {
  return isStatus(err, 409);
}

/** True when `err` is an API 410 (the requested resourceVersion is too old): relist. */
export function isGone(err: unknown): boolean {
  return isStatus(err, 410);
}
