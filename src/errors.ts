/**
 * One error base class with a code and a cause (after the CDK's ToolkitError). Messages are
 * lowercase, show the bad value and say how to fix it. The CLI maps `exitCode` to the process.
 */
export class TugboatError extends Error {
  /** Stable machine-readable code, e.g. `CONFIG_INVALID`. */
  readonly code: string;
  /** Process exit code the CLI should use. */
  readonly exitCode: number;

  constructor(code: string, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** One problem found in a cluster spec, with the path of the offending field. */
export interface ConfigIssue {
  /** Dotted path with array indexes, e.g. `workerGroups[1].desired`. */
  readonly path: string;
  readonly message: string;
}

/** The cluster spec (or a flag) is wrong. Raised before any AWS call. */
export class ConfigError extends TugboatError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { file?: string }) {
    const where = options?.file ? ` in ${options.file}` : '';
    const lines = issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`);
    super('CONFIG_INVALID', `invalid cluster spec${where}:\n${lines.join('\n')}`, { exitCode: 2 });
    this.issues = issues;
  }
}

/** A usage mistake on the command line (bad flag value, missing --yes without a TTY). */
export class UsageError extends TugboatError {
  constructor(message: string) {
    super('USAGE', message, { exitCode: 2 });
  }
}

/** An AWS deployment (stack, ASG, EIP, sweep) failed. */
export class DeploymentError extends TugboatError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, exitCode: 3 });
  }
}

/** A command on a remote host failed. Carries host, step and the redacted tail of stderr. */
export class RemoteCommandError extends TugboatError {
  readonly host: string;
  readonly step: string;
  readonly remoteExitCode: number | null;
  readonly stderrTail: string;

  constructor(init: {
    host: string;
    step: string;
    exitCode: number | null;
    /** The signal that ended the command, when the host reported one (e.g. `KILL`). */
    signal?: string;
    stderrTail: string;
    cause?: unknown;
  }) {
    // No exit status and no signal: the session ended under the command (connection lost or sshd killed).
    const code =
      init.exitCode !== null
        ? `exit ${init.exitCode}`
        : init.signal
          ? `signal ${init.signal}`
          : 'no exit status: the SSH session ended';
    const tail = init.stderrTail ? `\n${init.stderrTail}` : '';
    super('REMOTE_COMMAND_FAILED', `${init.host}: ${init.step} failed (${code})${tail}`, {
      cause: init.cause,
      exitCode: 4,
    });
    this.host = init.host;
    this.step = init.step;
    this.remoteExitCode = init.exitCode;
    this.stderrTail = init.stderrTail;
  }
}

/** The user or a signal aborted the operation. Re-running the same command continues. */
export class AbortError extends TugboatError {
  constructor(message = 'aborted: re-run the same command to continue') {
    super('ABORTED', message, { exitCode: 130 });
  }
}

/** True for any error this library raised on purpose (as opposed to a bug). */
export function isTugboatError(err: unknown): err is TugboatError {
  return err instanceof TugboatError;
}
