import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { UsageError } from '../../errors.js';
import { type Entry, groupOf, signalGroups, signalNumber, writeRecord } from './process-entry.js';
import { execInContainer } from './process-exec.js';
import { followProcessLog } from './process-log.js';
import {
  processRuntimeDir,
  readProcessRecords,
  recordedGroups,
  stopRecordedGroups,
} from './process-records.js';
import type {
  ContainerLaunch,
  ExecOptions,
  ExecSession,
  LogOptions,
  PullPolicy,
  Runtime,
  RuntimeContainer,
} from './types.js';

/** Options of the process runtime. */
export interface ProcessRuntimeOptions {
  /** Directory for per-container working directories and logs. */
  readonly dataDir: string;
}

/** How long an exited container's output may take to arrive before it counts as exited. */
const OUTPUT_DRAIN_MS = 1000;

/** Exit code reported for a recorded container that ended while no agent watched it. */
const UNKNOWN_EXIT = 255;

/**
 * Runs a container's `command` + `args` as a plain host process, for development and tests
 * without Docker. Not isolated: the image is ignored, volumes are not remapped (mount host paths
 * are exported as TUGBOAT_MOUNT_<n> variables), and the pod shares the host network.
 *
 * Each container's pid and start time are recorded on disk (see `process-records.ts`). Processes
 * are not adopted across agent restarts — their output went through a pipe to the agent that died,
 * and a non-parent cannot learn their exit code — so a new runtime first stops every process a
 * previous agent left running and reports those containers as exited (137); the pod sync then
 * restarts them per the pod's restartPolicy. `close()` stops the containers of a clean shutdown.
 */
export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  readonly isolated = false;
  private readonly entries = new Map<string, Entry>();
  private recovering?: Promise<RuntimeContainer[]>;

  constructor(private readonly options: ProcessRuntimeOptions) {}

  /**
   * Finds the containers a previous agent recorded under the data directory, stops those still
   * running (SIGTERM, SIGKILL after `graceSeconds`), and keeps them as exited containers. Runs
   * once (every other method waits for it); returns the containers it stopped.
   */
  recover(graceSeconds = 2): Promise<RuntimeContainer[]> {
    this.recovering ??= this.recoverOnce(graceSeconds);
    return this.recovering;
  }

  private async recoverOnce(graceSeconds: number): Promise<RuntimeContainer[]> {
    const stopped: RuntimeContainer[] = [];
    await Promise.all(
      readProcessRecords(this.options.dataDir).map(async ({ dir, id, record }) => {
        if (!record || record.container.id !== id) {
          rmSync(dir, { recursive: true, force: true });
          return;
        }
        // The exec sessions too: they outlive a container that ended while no agent watched.
        const [killed = false, ...execs] = await stopRecordedGroups(
          recordedGroups(record),
          graceSeconds * 1000,
        );
        const was = record.container;
        const container: RuntimeContainer =
          was.state === 'exited' && !killed
            ? was
            : {
                ...was,
                state: 'exited',
                exitCode: killed ? 137 : (was.exitCode ?? UNKNOWN_EXIT),
                finishedAt: was.finishedAt ?? new Date().toISOString(),
              };
        if (killed || execs.some(Boolean)) stopped.push(container);
        this.entries.set(id, { container, dir, exited: Promise.resolve() });
      }),
    );
    return stopped;
  }

  async version(): Promise<string> {
    return `process://node-${process.version}`;
  }

  async ensureImage(image: string, _policy: PullPolicy): Promise<string> {
    return `process://${image}`;
  }

  async start(launch: ContainerLaunch): Promise<RuntimeContainer> {
    await this.recover();
    const argv = [...(launch.command ?? []), ...(launch.args ?? [])];
    const [file, ...rest] = argv;
    if (!file) {
      throw new UsageError(
        `container ${launch.name} of pod ${launch.pod.name} has no command: the process runtime needs command or args`,
      );
    }
    const id = randomUUID().replaceAll('-', '');
    const dir = join(processRuntimeDir(this.options.dataDir), id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir };
    for (const e of launch.env) env[e.name] = e.value;
    launch.mounts.forEach((m, i) => {
      env[`TUGBOAT_MOUNT_${i}`] = `${m.hostPath}:${m.containerPath}`;
    });
    const child = spawn(file, rest, {
      cwd: launch.workingDir ?? dir,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(join(dir, 'log'));
    // A log that cannot be written (disk full, folder removed) loses lines, never the agent.
    log.on('error', () => undefined);
    // Both output pipes drained: the exit waits for it (bounded), so no line is lost or late.
    const drained = Promise.all(
      [child.stdout, child.stderr].map(
        (s) => new Promise<void>((resolve) => (s ? s.once('close', () => resolve()) : resolve())),
      ),
    );
    for (const s of [child.stdout, child.stderr]) {
      let partial = '';
      s?.on('data', (b: Buffer) => {
        const lines = (partial + b.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) log.write(`${new Date().toISOString()} ${l}\n`);
      });
      s?.on('end', () => {
        if (partial) log.write(`${new Date().toISOString()} ${partial}\n`);
      });
    }
    const base: RuntimeContainer = {
      id,
      podNamespace: launch.pod.namespace,
      podName: launch.pod.name,
      podUid: launch.pod.uid,
      containerName: launch.name,
      attempt: launch.attempt,
      image: launch.image,
      imageId: `process://${launch.image}`,
      state: 'running',
      startedAt: new Date().toISOString(),
      ip: '127.0.0.1',
    };
    const entry: Entry = { container: base, launch, child, dir, exited: Promise.resolve() };
    entry.group = groupOf(child);
    const record = () => writeRecord(entry);
    record();
    entry.exited = new Promise<void>((resolve) => {
      const finish = async (code: number | null, signal: NodeJS.Signals | null, failed?: Error) => {
        // As when a container's first process ends, what it left behind ends too (the group id
        // cannot be reused while any member lives, so this reaches only the container's own).
        signalGroups(entry, 'SIGKILL');
        // Then its output still in the pipes is read to the end (bounded, should anything linger).
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, OUTPUT_DRAIN_MS)))]);
        clearTimeout(timer);
        entry.container = {
          ...entry.container,
          state: 'exited',
          exitCode: failed ? 127 : (code ?? 128 + signalNumber(signal)),
          finishedAt: new Date().toISOString(),
        };
        if (failed) log.write(`${new Date().toISOString()} ${failed.message}\n`);
        log.end(() => {
          record();
          resolve();
        });
      };
      child.once('exit', (code, signal) => void finish(code, signal));
      child.once('error', (err) => void finish(null, null, err));
    });
    this.entries.set(id, entry);
    return entry.container;
  }

  async list(): Promise<RuntimeContainer[]> {
    await this.recover();
    return [...this.entries.values()].map((e) => {
      if (e.container.state !== 'running' || e.child?.pid === undefined) return e.container;
      const execPids = [...(e.execs?.keys() ?? [])].flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
      return { ...e.container, pid: e.child.pid, ...(execPids.length ? { execPids } : {}) };
    });
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    await this.recover();
    const e = this.entries.get(id);
    if (!e || e.container.state === 'exited' || e.child?.pid === undefined) return;
    const kill = (sig: NodeJS.Signals) => signalGroups(e, sig);
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), Math.max(0, graceSeconds) * 1000);
    await e.exited;
    clearTimeout(timer);
  }

  async remove(id: string): Promise<void> {
    await this.recover();
    const e = this.entries.get(id);
    if (!e) return;
    await this.stop(id, 0);
    this.entries.delete(id);
    rmSync(e.dir, { recursive: true, force: true });
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    await this.recover();
    const e = this.entries.get(id);
    if (!e) throw new UsageError(`no container ${id} in the process runtime`);
    return followProcessLog(join(e.dir, 'log'), options, () => e.container.state === 'exited');
  }

  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    await this.recover();
    const e = this.entries.get(id);
    if (!e) throw new UsageError(`no container ${id} in the process runtime`);
    if (e.container.state !== 'running' || !e.launch) throw new UsageError(`container ${id} is not running`);
    return execInContainer(e, e.launch, options);
  }

  async close(): Promise<void> {
    await this.recover();
    await Promise.all([...this.entries.keys()].map((id) => this.stop(id, 2)));
  }
}
