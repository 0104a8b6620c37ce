import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { ApiError } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { buildPath } from '../client/paths.js';
import { resources } from '../client/types.js';
import type { Status } from '../kube/index.js';

/** Output kept per stream; more is cut (the page shows a command's answer, not a file transfer). */
export const MAX_EXEC_OUTPUT = 256 * 1024;
/** A command that has not ended by then is stopped. */
export const EXEC_TIMEOUT_MS = 30_000;

/** One command to run in a container. */
export interface ExecRequest {
  readonly namespace: string;
  readonly pod: string;
  /** @default the pod's only container */
  readonly container?: string;
  readonly command: readonly string[];
}

/** What the command printed and how it ended. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** 0 on success, the command's code when the API says so, else undefined. */
  readonly exitCode: number | undefined;
  /** The API's final message on failure (e.g. "command terminated with non-zero exit code"). */
  readonly message?: string;
}

interface ExecStatus {
  status?: string;
  message?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/**
 * Opens a `pods/exec` WebSocket to the API server (`v5.channel.k8s.io`, then v4, as kubectl) with
 * the client's own credentials; `query` holds stdin/stdout/stderr/tty/container/command.
 */
export function openExecSocket(
  client: KubeClient,
  namespace: string,
  pod: string,
  query: URLSearchParams,
  maxPayload: number,
): WebSocket {
  const o = client.transport.options;
  const base = o.server.replace(/\/$/, '').replace(/^http/, 'ws');
  const path = buildPath(resources.pods, { namespace, name: pod, subresource: 'exec' });
  const token = typeof o.token === 'function' ? o.token() : o.token;
  return new WebSocket(`${base}${path}?${query}`, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.cert ? { cert: o.cert, key: o.key } : {}),
    ...(o.servername ? { servername: o.servername } : {}),
    headers: token ? { authorization: `Bearer ${token}` } : {},
    maxPayload,
  });
}

/** Reads a refused WebSocket upgrade's answer as the API server's error. */
export function refusedUpgrade(res: IncomingMessage, what: string): Promise<ApiError> {
  return new Promise((resolve) => {
    let body = '';
    res.on('data', (c: Buffer) => {
      if (body.length < 64 * 1024) body += c.toString('utf8');
    });
    res.on('end', () => {
      let parsed: Status | undefined;
      try {
        parsed = JSON.parse(body) as Status;
      } catch {
        parsed = undefined;
      }
      resolve(new ApiError(res.statusCode ?? 502, parsed, body, what));
    });
  });
}

/**
 * Runs one command in a container through the API server's `pods/exec` WebSocket
 * (`v5.channel.k8s.io`, as kubectl does), with the user's own credentials, no stdin and no TTY, and
 * collects its output (bounded) until the status message or the timeout.
 */
export function runExec(client: KubeClient, req: ExecRequest): Promise<ExecResult> {
  const query = new URLSearchParams({ stdout: 'true', stderr: 'true' });
  if (req.container) query.set('container', req.container);
  for (const arg of req.command) query.append('command', arg);
  const ws = openExecSocket(client, req.namespace, req.pod, query, MAX_EXEC_OUTPUT * 2);
  return new Promise((resolve, reject) => {
    const out = { stdout: '', stderr: '' };
    let status: ExecStatus | undefined;
    const keep = (key: 'stdout' | 'stderr', text: string) => {
      if (out[key].length < MAX_EXEC_OUTPUT) out[key] = (out[key] + text).slice(0, MAX_EXEC_OUTPUT);
    };
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`the command did not end within ${EXEC_TIMEOUT_MS / 1000} s`));
    }, EXEC_TIMEOUT_MS);
    ws.on('message', (data: Buffer) => {
      const channel = data[0];
      const text = data.subarray(1).toString('utf8');
      if (channel === 1) keep('stdout', text);
      else if (channel === 2) keep('stderr', text);
      else if (channel === 3) {
        try {
          status = JSON.parse(text) as ExecStatus;
        } catch {
          status = { status: 'Failure', message: text.slice(0, 500) };
        }
      }
    });
    ws.on('unexpected-response', (_r, res) => {
      clearTimeout(timer);
      void refusedUpgrade(res, `exec in pod ${req.namespace}/${req.pod}`).then(reject);
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      const code = status?.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
      resolve({
        ...out,
        exitCode: status?.status === 'Success' ? 0 : code !== undefined ? Number(code) : undefined,
        ...(status?.status === 'Failure' && status.message ? { message: status.message } : {}),
      });
    });
  });
}
