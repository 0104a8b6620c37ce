/** One watch event as it arrives on the wire. */
export interface WireEvent {
  readonly type: string;
  readonly object: {
    kind?: string;
    code?: number;
    reason?: string;
    metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
  };
}

/** Reads a `\n`-delimited JSON watch stream; `next()` waits (bounded) for the next event. */
export class WatchReader {
  private buffer = '';
  private readonly events: WireEvent[] = [];
  private ended = false;
  private readonly controller = new AbortController();
  private wake: (() => void) | undefined;
  /** Raw lines, to check the framing. */
  readonly lines: string[] = [];

  static async open(url: string, init: RequestInit = {}): Promise<WatchReader> {
    const reader = new WatchReader();
    const res = await fetch(url, { ...init, signal: reader.controller.signal });
    if (!res.ok || !res.body) throw new Error(`watch answered ${res.status}: ${await res.text()}`);
    void reader.pump(res.body);
    return reader;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let nl = this.buffer.indexOf('\n');
        while (nl >= 0) {
          const line = this.buffer.slice(0, nl);
          this.buffer = this.buffer.slice(nl + 1);
          this.lines.push(line);
          if (line.trim()) this.events.push(JSON.parse(line) as WireEvent);
          nl = this.buffer.indexOf('\n');
        }
        this.wake?.();
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
    this.wake?.();
  }

  /** The next event, or undefined when the stream ended or `timeoutMs` passed. */
  async next(timeoutMs = 10_000): Promise<WireEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0 && !this.ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.min(200, Math.max(deadline - Date.now(), 1)));
      });
    }
    return this.events.shift();
  }

  /** True once the server ended the response. */
  get done(): boolean {
    return this.ended && this.events.length === 0;
  }

  close(): void {
    this.controller.abort();
  }
}
