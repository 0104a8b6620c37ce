import { readFileSync } from 'node:fs';
import { isRunning, logTail, spawnDetached } from '../../src/local/processes.js';

/** One process of the local cluster, restarted the way systemd's `Restart=always` would. */
interface Supervised {
  readonly name: string;
  /** Arguments after the node executable, read from /proc when the supervisor took it over. */
  readonly args: readonly string[];
  readonly log: string;
  pid: number;
  /** Set while a kill by the soak is pending its restart (epoch ms of the restart). */
  restartAt?: number;
}

/** What the supervisor saw. */
export interface SupervisorReport {
  readonly kills: Readonly<Record<string, number>>;
  /** Exits the soak did not cause (a crash): name, time and the end of its log. */
  readonly crashes: readonly string[];
}

/**
 * Watches the control plane and agents of a local cluster by PID, kills them with SIGKILL when
 * asked, and restarts every process that is gone — after the delay the soak chose for its own
 * kills, at once (and recorded as a crash) for any other exit.
 */
export class Supervisor {
  private readonly procs: Supervised[] = [];
  private readonly kills: Record<string, number> = {};
  private readonly crashes: string[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly onRestart: (name: string, pid: number) => void,
  ) {}

  /** Takes over a running process: its command line is read now, to start it again later. */
  adopt(name: string, pid: number, log: string): void {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
    this.procs.push({ name, args: argv.slice(1), log, pid });
  }

  get names(): string[] {
    return this.procs.map((p) => p.name);
  }

  pids(): Record<string, number> {
    return Object.fromEntries(this.procs.map((p) => [p.name, p.pid]));
  }

  start(intervalMs = 200): void {
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** kill -9 `name` and restart it after `downMs`. */
  kill(name: string, downMs: number): void {
    const p = this.procs.find((x) => x.name === name);
    if (!p || p.restartAt !== undefined) return;
    p.restartAt = Date.now() + downMs;
    this.kills[name] = (this.kills[name] ?? 0) + 1;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone: the tick restarts it
    }
  }

  /** True when every process runs and no kill is pending. */
  allRunning(): boolean {
    return this.procs.every((p) => p.restartAt === undefined && isRunning(p.pid));
  }

  private tick(): void {
    const now = Date.now();
    for (const p of this.procs) {
      if (isRunning(p.pid)) continue;
      if (p.restartAt === undefined) {
        this.crashes.push(
          `${p.name} (pid ${p.pid}) exited at ${new Date(now).toISOString()}:\n${logTail(p.log, 20)}`,
        );
      } else if (now < p.restartAt) {
        continue;
      }
      p.restartAt = undefined;
      p.pid = spawnDetached(p.args, p.log, this.env);
      this.onRestart(p.name, p.pid);
    }
  }

  /** The end of every process's log, for a failure message. */
  logTails(lines: number): string {
    return this.procs.map((p) => `--- ${p.name} (${p.log}):\n${logTail(p.log, lines)}`).join('\n');
  }

  report(): SupervisorReport {
    return { kills: { ...this.kills }, crashes: [...this.crashes] };
  }
}
