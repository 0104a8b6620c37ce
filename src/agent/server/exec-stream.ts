import type { WebSocket } from 'ws';
import type { ExecSession } from '../runtime/types.js';

/** WebSocket subprotocols of `kubectl exec`, newest first. */
export const execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;
const CLOSE = 255;

/** The v4/v5 status document kubectl reads from channel 3 to learn the exit code. Pure. */
export function renderExecStatus(exitCode: number, command: readonly string[]): string {
  if (exitCode === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  });
}

/**
 * Bridges an exec session to a `channel.k8s.io` WebSocket: each binary message starts with a
 * channel byte (0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close in v5). Sends the
 * exit status on channel 3 when the command and its output have ended, then closes.
 */
export function bridgeExec(ws: WebSocket, session: ExecSession, command: readonly string[]): Promise<number> {
  const send = (channel: number, data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
  };
  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    const msg = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    const channel = msg[0];
    const data = msg.subarray(1);
    if (channel === STDIN && data.length > 0) session.stdin?.write(data);
    else if (channel === RESIZE) {
      try {
        const size = JSON.parse(data.toString()) as { Width?: number; Height?: number };
        void session.resize(size.Width ?? 80, size.Height ?? 24);
      } catch {
        // a malformed resize is ignored, as the kubelet does
      }
    } else if (channel === CLOSE && data[0] === STDIN) session.stdin?.end();
  });
  ws.on('close', () => session.stdin?.end());
  const ended = (s: NodeJS.ReadableStream) => new Promise<void>((resolve) => s.once('end', resolve));
  session.stdout.on('data', (c: Buffer) => send(STDOUT, c));
  session.stderr.on('data', (c: Buffer) => send(STDERR, c));
  return Promise.all([session.exitCode, ended(session.stdout), ended(session.stderr)]).then(([code]) => {
    send(STATUS, renderExecStatus(code, command));
    ws.close(1000);
    return code;
  });
}
