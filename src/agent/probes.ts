import http from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';
import type { Container, Probe } from '../kube/index.js';
import type { Runtime } from './runtime/types.js';

/** The outcome of one probe run. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly message: string;
}

/** Where to probe: the container's id (for exec) and the pod's IP (for httpGet and tcpSocket). */
export interface ProbeTarget {
  readonly runtime: Runtime;
  readonly containerId: string;
  readonly podIP: string;
  readonly container: Container;
}

/**
 * Runs one liveness, readiness or startup probe like the kubelet: exec succeeds on exit code 0,
 * httpGet on a status in 200–399, tcpSocket when a connection opens, grpc when the health service
 * answers SERVING. Whatever the handler, the result comes within `timeoutSeconds` (default 1): a
 * handler still running then is abandoned (its connection closed) and counts as a failure.
 */
export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  const abort = new AbortController();
  try {
    return await withTimeout(runHandler(probe, target, timeoutMs, abort.signal), timeoutMs, abort);
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

function runHandler(probe: Probe, target: ProbeTarget, timeoutMs: number, signal: AbortSignal) {
  if (probe.exec) return execProbe(probe.exec.command, target, signal);
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port, target.container);
    const host = probe.httpGet.host ?? target.podIP;
    const scheme = probe.httpGet.scheme ?? 'HTTP';
    return httpProbe(scheme, host, port, probe.httpGet.path ?? '/', timeoutMs, signal);
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, target.container);
    return tcpProbe(probe.tcpSocket.host ?? target.podIP, port, timeoutMs, signal);
  }
  if (probe.grpc) {
    const { port, service } = probe.grpc;
    // Loaded on first use: grpc-js is ~1 MiB the agent need not hold when no pod asks for it.
    return import('./probe-grpc.js').then((m) => m.grpcProbe(target.podIP, port, service ?? '', timeoutMs));
  }
  return Promise.resolve({
    ok: false,
    message: 'probe has no handler: set exec, httpGet, tcpSocket or grpc',
  });
}

/** A named port (`http`) or a number, resolved against the container's ports. */
export function resolvePort(port: number | string, container: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const found = container.ports?.find((p) => p.name === port);
  if (!found) throw new Error(`probe port "${port}" is not a named port of container ${container.name}`);
  return found.containerPort;
}

async function execProbe(command: string[], target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
  const session = await target.runtime.exec(target.containerId, { command });
  // The runtime cannot kill an exec'd command; closing its streams at least frees the connection.
  const close = () => {
    session.stdout.destroy();
    session.stderr.destroy();
  };
  if (signal.aborted) close();
  else signal.addEventListener('abort', close, { once: true });
  let output = '';
  const keep = (c: Buffer) => {
    output = (output + c.toString()).slice(-1024);
  };
  session.stdout.on('data', keep);
  session.stderr.on('data', keep);
  const code = await session.exitCode;
  return { ok: code === 0, message: code === 0 ? 'ok' : `exec probe exited with ${code}: ${output.trim()}` };
}

function httpProbe(
  scheme: string,
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const mod = scheme === 'HTTPS' ? https : http;
    const req = mod.get(
      {
        host,
        port,
        path,
        timeout: timeoutMs,
        rejectUnauthorized: false,
        signal,
        headers: { 'user-agent': 'tugboat-probe/1' },
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve({ ok: code >= 200 && code < 400, message: `HTTP probe ${path} returned ${code}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`HTTP probe timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, message: `HTTP probe failed: ${err.message}` }));
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs, signal });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, message: 'ok' });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, message: `tcp probe to ${port} timed out` });
    });
    socket.once('error', (err) => resolve({ ok: false, message: `tcp probe failed: ${err.message}` }));
  });
}

function withTimeout(p: Promise<ProbeResult>, ms: number, abort: AbortController): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      resolve({ ok: false, message: `probe timed out after ${ms} ms` });
      abort.abort();
    }, ms);
    p.then(
      (r) => {
        clearTimeout(t);
        resolve(r);
      },
      (err: Error) => {
        clearTimeout(t);
        resolve({ ok: false, message: err.message });
      },
    );
  });
}
