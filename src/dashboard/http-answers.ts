import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { apiFailure } from './actions.js';

/** A request body larger than this is refused (the page's requests are a few hundred bytes). */
export const MAX_BODY_BYTES = 16 * 1024;

/** A Kubernetes object or namespace name (DNS subdomain). */
export const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Answers with a Kubernetes Status, as the API server would. */
export function status(res: ServerResponse, code: number, reason: string, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: 'Failure', code, reason, message }));
}

/** Answers 200 with a JSON body. */
export function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Answers with `work`'s result, or with the API server's error as a Status. */
export async function relay(res: ServerResponse, work: () => Promise<unknown>): Promise<void> {
  try {
    json(res, await work());
  } catch (err) {
    const f = apiFailure(err);
    status(res, f.code, f.reason, f.message);
  }
}

/** Reads a bounded JSON request body. */
export function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new Error('request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** Refuses a WebSocket upgrade with a Kubernetes Status and closes the socket. */
export function refuseUpgrade(socket: Duplex, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: 'Failure', code, reason, message });
  socket.end(
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? reason}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
