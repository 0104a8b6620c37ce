import { TugboatError } from '../errors.js';
import type { RemoteShell } from '../ssh/remote-shell.js';

/** Options for {@link waitForDocker}. */
export interface WaitDockerOptions {
  /** How long the host's Docker daemon may take to answer (it may still be starting at boot). @default 60000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Waits (bounded, on the host: one round trip when Docker already answers) until the host's
 * Docker daemon answers `docker version`, and returns its version. A host that has just booted
 * may accept SSH before its Docker daemon is up; the agent needs it only when it starts.
 */
export async function waitForDocker(shell: RemoteShell, options: WaitDockerOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const tries = Math.max(1, Math.ceil(timeoutMs / 500));
  const r = await shell.exec(
    `i=0
while :; do
  if out=$(docker version --format '{{.Server.Version}}' 2>&1) && [ -n "$out" ]; then printf '%s\\n' "$out" | tail -n 1; exit 0; fi
  i=$((i+1)); [ $i -ge ${tries} ] && break
  sleep 0.5
done
printf '%s\\n' "$out" | tail -n 3 >&2; exit 1`,
    { timeoutMs: timeoutMs + 30_000, signal: options.signal },
  );
  const version = r.stdout.trim();
  if (r.code === 0 && version) return version;
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  throw new TugboatError(
    'PREFLIGHT_FAILED',
    `${shell.host}: no Docker daemon answered within ${timeoutMs} ms${last ? ` (last: ${last})` : ''}: install Docker and start it (systemctl enable --now docker)`,
    { exitCode: 4 },
  );
}
