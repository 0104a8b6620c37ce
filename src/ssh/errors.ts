import { TugboatError } from '../errors.js';

/** Why a host key was refused. */
export type HostKeyProblem = 'unknown' | 'mismatch' | 'revoked';

/** A host key was not accepted. Never retried: a changed key needs a human decision. */
export class HostKeyError extends TugboatError {
  /** `host` or `[host]:port`, as it appears in known_hosts. */
  readonly host: string;
  readonly problem: HostKeyProblem;
  /** Fingerprint of the key the host offered (`SHA256:...`). */
  readonly offered: string;
  /** Fingerprints known_hosts or the pins expected for this host. */
  readonly expected: readonly string[];

  constructor(init: {
    host: string;
    problem: HostKeyProblem;
    offered: string;
    expected: readonly string[];
    message: string;
  }) {
    super(`HOST_KEY_${init.problem.toUpperCase()}`, init.message, { exitCode: 5 });
    this.host = init.host;
    this.problem = init.problem;
    this.offered = init.offered;
    this.expected = init.expected;
  }
}

/** A command ran longer than its `timeoutMs`; its process group was killed. Carries the output so far. */
export class CommandTimeoutError extends TugboatError {
  readonly host: string;
  readonly timeoutMs: number;
  readonly stdout: string;
  readonly stderr: string;

  constructor(init: { host: string; timeoutMs: number; stdout: string; stderr: string }) {
    super(
      'REMOTE_TIMEOUT',
      `${init.host}: command did not finish within ${init.timeoutMs} ms and was killed: raise timeoutMs if it needs longer`,
      { exitCode: 4 },
    );
    this.host = init.host;
    this.timeoutMs = init.timeoutMs;
    this.stdout = init.stdout;
    this.stderr = init.stderr;
  }
}

/** An SSH connection could not be made (network, refused key, or gave up after retries). */
export class SshConnectError extends TugboatError {
  readonly host: string;
  readonly attempts: number;

  constructor(
    code: 'SSH_UNREACHABLE' | 'SSH_AUTH_FAILED',
    host: string,
    attempts: number,
    message: string,
    cause: unknown,
  ) {
    super(code, message, { cause, exitCode: 4 });
    this.host = host;
    this.attempts = attempts;
  }
}
