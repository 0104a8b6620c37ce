/**
 * Runs `pass` now and every `intervalMs` (unref'd timer), a failure reported through `failed`
 * and retried at the next tick; the returned function stops it and waits for a pass in flight.
 */
export function runPeriodicPass(
  intervalMs: number,
  pass: () => Promise<void>,
  failed: (err: Error) => void,
): () => Promise<void> {
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = pass().catch((err: unknown) => failed(err as Error));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await current;
  };
}
