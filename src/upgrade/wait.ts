import { AbortError } from '../errors.js';
import { sleep } from '../timing.js';

/** What a poll of {@link pollUntil} said: done, or why not yet. */
export type PollAnswer = true | string;

/**
 * Polls `check` every `intervalMs` until it returns true. Past `timeoutMs` returns its last
 * answer (the reason it is still not done) for the caller to put in its own error; bounded.
 */
export async function pollUntil(
  timeoutMs: number,
  intervalMs: number,
  signal: AbortSignal | undefined,
  check: () => Promise<PollAnswer>,
): Promise<PollAnswer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) throw new AbortError();
    const answer = await check();
    if (answer === true || Date.now() > deadline) return answer;
    await sleep(intervalMs, signal);
  }
}
