import type { AwsClients } from '../../aws/clients.js';
import type { EventSink } from '../../events.js';
import { createAwsClients } from '../../index.js';
import type { AwsFlags } from './aws-flags.js';
import type { CliIO, GlobalOptions } from './context.js';
import { parseDuration } from './duration.js';
import { createProgress } from './render.js';
import { withDeadline } from './timeout.js';

/** What an AWS command's body gets: clients, an event sink that renders, and Ctrl-C as a signal. */
export interface AwsSession {
  readonly aws: AwsClients;
  readonly events: EventSink;
  readonly signal: AbortSignal;
  /** Waits until progress output is drawn, so a question printed next comes after it. */
  settle(): Promise<void>;
}

/**
 * Runs `fn` with AWS clients (flag, then spec, then environment for the region), a progress
 * renderer and an AbortSignal fired by the first Ctrl-C (a second one exits at once) or by
 * `--timeout` (a TIMEOUT error, exit 124, naming the phase it was waiting for). The library stops
 * between AWS calls, and re-running the same command continues from there.
 */
export async function withAwsSession<T>(
  io: CliIO,
  globals: GlobalOptions,
  flags: AwsFlags,
  specRegion: string | undefined,
  fn: (session: AwsSession) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout);
  const aws = await createAwsClients({
    ...(flags.region || specRegion ? { region: flags.region ?? specRegion } : {}),
    ...(flags.endpointUrl ? { endpointUrl: flags.endpointUrl } : {}),
    ...(flags.profile ? { profile: flags.profile } : {}),
    env: io.env,
    signal: controller.signal,
  });
  const progress = createProgress(io, globals);
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    io.stderr('\ninterrupted: cancelling the current AWS call (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await withDeadline(
      { controller, ...(timeoutMs === undefined ? {} : { ms: timeoutMs, text: flags.timeout }) },
      progress.events,
      (events) => fn({ aws, events, signal: controller.signal, settle: () => progress.settle() }),
    );
  } finally {
    process.off('SIGINT', onSigint);
    await progress.close();
  }
}
