import { Writable } from 'node:stream';
import { Listr, ListrLogger, type ListrTaskWrapper, PRESET_TIMER, ProcessOutput } from 'listr2';
import type { EventSink, TugboatEvent } from '../../events.js';
import type { CliIO, GlobalOptions } from './context.js';
import { jsonLineEvents } from './event-lines.js';

/** Renders library events while a command runs. */
export interface ProgressRenderer {
  readonly events: EventSink;
  /** Waits until finished phases are drawn (call before printing a question). */
  settle(): Promise<void>;
  /** Waits for the last phase to finish drawing. */
  close(): Promise<void>;
}

/** Which listr2 renderer to use: animated on a terminal, plain lines in CI, nothing in tests. */
export function rendererFor(io: CliIO): 'default' | 'simple' | 'silent' {
  if (io.env.VITEST || io.env.TUGBOAT_PROGRESS === 'silent') return 'silent';
  // A terminal that reports no width (some CI pseudo-terminals) would wrap every character.
  const width = io.interactive ? (process.stderr.columns ?? 0) : 0;
  return io.interactive && !io.env.CI && width >= 20 ? 'default' : 'simple';
}

function stderrStream(io: CliIO): NodeJS.WriteStream {
  if (io.interactive) return process.stderr;
  const w = new Writable({
    write(chunk, _enc, done) {
      io.stderr(String(chunk));
      done();
    },
  });
  return Object.assign(w, { isTTY: false, columns: 100 }) as unknown as NodeJS.WriteStream;
}

interface Deferred {
  resolve(): void;
  reject(err: Error): void;
}

/** Events shown as a task's live output line (the latest one wins). */
const OUTPUT_CODES = new Set([
  'stack.event',
  'groups.progress',
  'sweep.round',
  'sweep.deleted',
  'eip.assigned',
]);

/**
 * A listr2 renderer of library events: one task per `phase.start`/`phase.end` pair (with its
 * elapsed time), stack and progress events as the task's output. Other info events become
 * plain lines on stderr; debug events only with --debug. Results never go through here.
 */
export function createProgress(io: CliIO, globals: GlobalOptions): ProgressRenderer {
  if (globals.progress === 'json') {
    return {
      events: jsonLineEvents(io.stderr, globals.debug),
      settle: async () => {},
      close: async () => {},
    };
  }
  const renderer = rendererFor(io);
  const stream = stderrStream(io);
  const processOutput = new ProcessOutput(stream, stream);
  const logger = new ListrLogger({
    processOutput,
    toStderr: ['STARTED', 'COMPLETED', 'FAILED', 'OUTPUT', 'TITLE'],
  });
  /**
   * The open phases, outermost first. Phases nest (update's `replace` settles the cluster, which
   * runs phases of its own): the outermost one is a task, a nested one shows as its output line,
   * and each end closes the innermost, so every task ends and close() never waits on a lost one.
   */
  const open: { task?: ListrTaskWrapper<unknown, never, never>; deferred?: Deferred }[] = [];
  let drawing: Promise<unknown> = Promise.resolve();

  const line = (e: TugboatEvent) => {
    if (renderer === 'silent') return;
    if (e.level === 'debug' && !globals.debug) return;
    const prefix = e.level === 'warn' ? 'warning: ' : e.level === 'error' ? 'error: ' : '';
    io.stderr(`${prefix}${e.message}\n`);
  };

  const startPhase = (title: string) => {
    if (open.length > 0) {
      open.push({});
      const task = open[0]?.task;
      if (task) task.output = title;
      return;
    }
    let deferred: Deferred = { resolve() {}, reject() {} };
    const done = new Promise<void>((resolve, reject) => {
      deferred = { resolve, reject };
    });
    const slot: (typeof open)[number] = { deferred };
    open.push(slot);
    const list = new Listr(
      [
        {
          title,
          task: async (_ctx, task) => {
            slot.task = task as unknown as ListrTaskWrapper<unknown, never, never>;
            await done;
          },
        },
      ],
      {
        renderer,
        fallbackRenderer: 'simple',
        registerSignalListeners: false,
        exitOnError: true,
        rendererOptions: { timer: PRESET_TIMER, logger, processOutput, collapseErrors: false },
        fallbackRendererOptions: { timer: PRESET_TIMER, logger },
      } as never,
    );
    drawing = drawing.then(() => list.run().catch(() => undefined));
  };

  const events: EventSink = {
    emit(e) {
      if (e.code === 'phase.start') return startPhase(e.message);
      if (e.code === 'phase.end') {
        open.pop()?.deferred?.resolve();
        return;
      }
      if (e.code === 'phase.fail') {
        // The full message (root causes, next step) is printed once, by the error report.
        open
          .pop()
          ?.deferred?.reject(new Error((e.message.split('\n')[0] ?? '').replace(/;? root cause:$/, '')));
        return;
      }
      const task = open[0]?.task;
      if (task && OUTPUT_CODES.has(e.code) && (e.level !== 'debug' || globals.debug)) {
        task.output = e.message;
        return;
      }
      line(e);
    },
  };
  return {
    events,
    async settle() {
      await drawing;
    },
    async close() {
      for (const slot of open.splice(0)) slot.deferred?.resolve();
      await drawing;
    },
  };
}
