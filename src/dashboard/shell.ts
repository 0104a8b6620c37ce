import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { KubeClient } from '../client/client.js';
import { apiFailure } from './actions.js';
import { openExecSocket, refusedUpgrade } from './exec.js';
import { refuseUpgrade } from './http-answers.js';

/** The shells tried in turn, as the Kubernetes Dashboard does: bash, then sh. */
export const SHELLS = ['bash', 'sh'] as const;
/** A page's message (keys typed, a paste, a resize) larger than this closes the socket. */
export const MAX_SHELL_MESSAGE = 64 * 1024;
/** Shells open at once for the whole dashboard; one more answers 429. */
export const MAX_SHELLS = 8;
/** Output sent to a page that it has not taken yet; past it the exec is paused until it drains. */
const HIGH_WATER = 1024 * 1024;
/** Keys typed before the exec is open, kept to send once it is; more is dropped. */
const MAX_EARLY_INPUT = 16 * 1024;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;

/** The container a shell runs in. */
export interface ShellTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly container?: string;
}

/** Timings of {@link ShellRelays}. */
export interface ShellTimings {
  /** A shell with neither input nor output for this long is closed. @default 30 min */
  readonly idleMs?: number;
  /** The page is pinged this often; one that missed the last pong is dropped. @default 30 s */
  readonly heartbeatMs?: number;
}

/**
 * What the server sends the page as text frames (binary frames are the terminal's output):
 * which shell started, a notice, the end (exit code or the API's message), or an error.
 */
export type ShellNotice =
  | { readonly shell: string }
  | { readonly notice: string }
  | { readonly exit: { readonly code: number | undefined; readonly message?: string } }
  | { readonly error: string; readonly code?: number };

interface ExecStatus {
  status?: string;
  message?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/**
 * The dashboard's shells: each page WebSocket (`/api/shell`) gets one `pods/exec` with stdin and a
 * TTY against the API server, as the user, relaying keys (channel 0), output (1 and 2) and the
 * terminal's size (channel 4); either side ending ends the other. Bounded in count, message size,
 * output in flight and idle time; dead pages are found by ping.
 */
export class ShellRelays {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_SHELL_MESSAGE,
    perMessageDeflate: false,
  });
  private readonly open = new Set<() => void>();

  constructor(
    private readonly client: KubeClient,
    private readonly timings: ShellTimings = {},
  ) {}

  /** Shells open now. */
  get size(): number {
    return this.open.size;
  }

  /** Takes an authenticated, same-origin upgrade request for `target` (or answers 429). */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, target: ShellTarget): void {
    if (this.open.size >= MAX_SHELLS) {
      refuseUpgrade(socket, 429, 'TooManyRequests', `at most ${MAX_SHELLS} shells may be open at once`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (page) => {
      const end = relayShell(this.client, page, target, this.timings, () => this.open.delete(end));
      this.open.add(end);
    });
  }

  /** Ends every shell (both sides). */
  closeAll(): void {
    for (const end of [...this.open]) end();
    this.wss.close();
  }
}

/** Relays one page socket to successive exec attempts (bash, then sh); returns what ends it. */
function relayShell(
  client: KubeClient,
  page: WebSocket,
  target: ShellTarget,
  timings: ShellTimings,
  onEnd: () => void,
): () => void {
  let upstream: WebSocket | undefined;
  let ended = false;
  let typed = false;
  let early: Buffer[] = [];
  let earlyBytes = 0;
  let size: { Width: number; Height: number } | undefined;
  let inFlight = 0;
  let alive = true;
  const tell = (m: ShellNotice) => {
    if (page.readyState === WebSocket.OPEN) page.send(JSON.stringify(m));
  };
  const idleMs = timings.idleMs ?? 30 * 60_000;
  let idle = setTimeout(() => idleOut(), idleMs);
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => idleOut(), idleMs);
  };
  const idleOut = () => {
    tell({ error: `closed after ${Math.round(idleMs / 1000)} s without input or output` });
    end();
  };
  const heartbeat = setInterval(() => {
    if (!alive) return end(true);
    alive = false;
    page.ping();
  }, timings.heartbeatMs ?? 30_000);
  page.on('pong', () => {
    alive = true;
  });

  const end = (dead = false) => {
    if (ended) return;
    ended = true;
    clearTimeout(idle);
    clearInterval(heartbeat);
    if (upstream?.readyState === WebSocket.OPEN) upstream.close(1000);
    else upstream?.terminate();
    if (dead) page.terminate();
    else if (page.readyState === WebSocket.OPEN) page.close(1000);
    onEnd();
  };

  const toUpstream = (channel: number, data: Buffer) => {
    if (upstream?.readyState === WebSocket.OPEN) upstream.send(Buffer.concat([Buffer.from([channel]), data]));
  };

  const attempt = (index: number) => {
    const shell = SHELLS[index] as string;
    const query = new URLSearchParams({ stdin: 'true', stdout: 'true', stderr: 'false', tty: 'true' });
    if (target.container) query.set('container', target.container);
    query.set('command', shell);
    const up = openExecSocket(client, target.namespace, target.pod, query, HIGH_WATER);
    upstream = up;
    let status: ExecStatus | undefined;
    up.on('open', () => {
      if (ended) return up.close(1000);
      tell({ shell });
      if (size) toUpstream(RESIZE, Buffer.from(JSON.stringify(size)));
      for (const chunk of early) toUpstream(STDIN, chunk);
      early = [];
      earlyBytes = 0;
    });
    up.on('message', (data: Buffer) => {
      const channel = data[0];
      if (channel === STDOUT || channel === STDERR) {
        touch();
        const out = data.subarray(1);
        if (page.readyState !== WebSocket.OPEN) return;
        inFlight += out.length;
        if (inFlight > HIGH_WATER) up.pause();
        page.send(out, { binary: true }, () => {
          inFlight -= out.length;
          if (inFlight <= HIGH_WATER / 2 && up.isPaused) up.resume();
        });
      } else if (channel === STATUS) {
        try {
          status = JSON.parse(data.subarray(1).toString('utf8')) as ExecStatus;
        } catch {
          status = { status: 'Failure', message: data.subarray(1, 500).toString('utf8') };
        }
      }
    });
    up.on('unexpected-response', (_r, res) => {
      void refusedUpgrade(res, `exec in pod ${target.namespace}/${target.pod}`).then((err) => {
        const f = apiFailure(err);
        tell({ error: f.message, code: f.code });
        end();
      });
    });
    up.on('error', (err) => {
      if (ended) return;
      tell({ error: err.message });
      end();
    });
    up.on('close', () => {
      if (ended || upstream !== up) return;
      const code = status?.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
      const failed = status?.status !== 'Success';
      const next = SHELLS[index + 1];
      if (failed && !typed && next) {
        tell({ notice: `${shell} did not start (${status?.message ?? 'no status'}); trying ${next}` });
        attempt(index + 1);
        return;
      }
      tell({
        exit: {
          code: status?.status === 'Success' ? 0 : code !== undefined ? Number(code) : undefined,
          ...(failed && status?.message ? { message: status.message } : {}),
        },
      });
      end();
    });
  };

  page.on('message', (raw: RawData, binary: boolean) => {
    const data = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    if (binary) {
      touch();
      typed = true;
      if (upstream?.readyState === WebSocket.OPEN) toUpstream(STDIN, data);
      else if (earlyBytes + data.length <= MAX_EARLY_INPUT) {
        early.push(data);
        earlyBytes += data.length;
      }
      return;
    }
    const resize = parseResize(data.toString('utf8'));
    if (!resize) {
      tell({ error: 'a text message must be {"resize":{"cols":N,"rows":N}} with 1 ≤ N ≤ 1000' });
      return end();
    }
    size = resize;
    toUpstream(RESIZE, Buffer.from(JSON.stringify(size)));
  });
  page.on('close', () => end());
  page.on('error', () => end(true));
  attempt(0);
  return end;
}

/** The terminal's size from a page's `{"resize":{"cols","rows"}}`, or undefined when malformed. */
export function parseResize(text: string): { Width: number; Height: number } | undefined {
  let m: { resize?: { cols?: unknown; rows?: unknown } };
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  const ok = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 1000;
  const cols = m?.resize?.cols;
  const rows = m?.resize?.rows;
  return ok(cols) && ok(rows) ? { Width: cols, Height: rows } : undefined;
}
