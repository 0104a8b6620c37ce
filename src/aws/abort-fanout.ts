/**
 * Hands out one AbortSignal per request, all aborted by a single listener on a shared parent
 * signal. The AWS SDK adds abort listeners per request (retry race, HTTP handler) and removes
 * them when the request ends; passing a command's one Ctrl-C signal straight to every request
 * made a dozen concurrent requests (the leftover scan of `tugboat delete`) exceed Node's limit
 * of 10 listeners and print MaxListenersExceededWarning. With a fan-out, the parent keeps one
 * listener however many requests run, and each request's signal is dropped when it settles.
 */
export class AbortFanout {
  private readonly open = new Set<AbortController>();

  constructor(private readonly parent: AbortSignal) {
    parent.addEventListener(
      'abort',
      () => {
        for (const c of this.open) c.abort(parent.reason);
        this.open.clear();
      },
      { once: true },
    );
  }

  /** Runs `fn` with a signal of its own that aborts with the parent; released when `fn` settles. */
  async run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.parent.aborted) return fn(AbortSignal.abort(this.parent.reason));
    const controller = new AbortController();
    this.open.add(controller);
    try {
      return await fn(controller.signal);
    } finally {
      this.open.delete(controller);
    }
  }

  /** Requests in flight (for tests). */
  get size(): number {
    return this.open.size;
  }
}
