import { AbortError, DeploymentError } from '../errors.js';

/** An AWS API call failed. Carries the service's own error code (e.g. `DependencyViolation`). */
export class AwsCallError extends DeploymentError {
  /** The AWS error code, e.g. `DependencyViolation`, `InvalidAllocationID.NotFound`. */
  readonly awsCode: string;
  /** The API action that failed, e.g. `ec2:DeleteVpc`. */
  readonly action: string;
  /** The service's own message, without tugboat's prefix and hint. */
  readonly awsMessage: string;

  constructor(action: string, awsCode: string, message: string, cause: unknown, awsMessage = message) {
    super('AWS_CALL_FAILED', message, { cause });
    this.awsCode = awsCode;
    this.action = action;
    this.awsMessage = awsMessage;
  }
}

/** The AWS error code of an SDK error (`name` in SDK v3), or `''` when it is not one. */
export function awsErrorCode(err: unknown): string {
  if (err instanceof AwsCallError) return err.awsCode;
  if (typeof err !== 'object' || err === null) return '';
  const e = err as { name?: unknown; Code?: unknown; code?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.code === 'string' && e.code.startsWith('E')) return e.code;
  return typeof e.name === 'string' ? e.name : '';
}

/** True when `err` is an AWS error with one of the given codes. */
export function isAwsError(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return codes.some((c) => code === c || code.startsWith(`${c}.`));
}

const CREDENTIAL_CODES = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'AuthFailure',
  'SignatureDoesNotMatch',
]);

/** A hint that says how to fix the usual causes of an AWS error, or `''`. */
function hintFor(code: string, endpoint: string | undefined): string {
  if (CREDENTIAL_CODES.has(code)) {
    return ': check your AWS credentials (--profile, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)';
  }
  const where = endpoint ?? 'the AWS endpoint';
  if (code === 'TimeoutError') {
    return `: ${where} did not answer in time (every attempt); check --endpoint-url / AWS_ENDPOINT_URL and your network`;
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
    return `: cannot reach ${where}; check --endpoint-url / AWS_ENDPOINT_URL and your network`;
  }
  if (code === 'UnauthorizedOperation' || code === 'AccessDenied' || code === 'AccessDeniedException') {
    return ': the credentials lack this permission; see docs/ci.md for the IAM actions tugboat needs';
  }
  return '';
}

/**
 * Turns an SDK error into an `AwsCallError` whose message names the action, the AWS code and a
 * fix. Abort signals become `AbortError` so the CLI can say "re-run to continue".
 */
export function mapAwsError(action: string, err: unknown, endpoint?: string): Error {
  if (err instanceof AwsCallError || err instanceof AbortError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError') return new AbortError();
  const code = awsErrorCode(err) || 'Unknown';
  const raw = err instanceof Error ? err.message : String(err);
  const message = `${action} failed (${code}): ${raw}${hintFor(code, endpoint)}`;
  return new AwsCallError(action, code, message, err, raw);
}

/** Runs one AWS call and maps its failure with `mapAwsError`. */
export async function awsCall<T>(action: string, fn: () => Promise<T>, endpoint?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapAwsError(action, err, endpoint);
  }
}
