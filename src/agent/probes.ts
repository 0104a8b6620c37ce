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
 * Runs one liveness or readiness probe like the kubelet: exec succeeds on exit code 0, httpGet
 * on a status in 200–399, tcpSocket when a connection opens; each within `timeoutSeconds` (default 1).
 */
export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) return await withTimeout(execProbe(probe.exec.command, target), timeoutMs);
    if (probe.httpGet) {
      const port = resolvePort(probe.httpGet.port, target.container);
      const host = probe.httpGet.host ?? target.podIP;
      return await httpProbe(
        probe.httpGet.scheme ?? 'HTTP',
        host,
        port,
        probe.httpGet.path ?? '/',
        timeoutMs,
      );
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port, target.container);
      return await tcpProbe(probe.tcpSocket.host ?? target.podIP, port, timeoutMs);
    }
    return { ok: false, message: 'probe has no handler: set exec, httpGet or tcpSocket' };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

/** A named port (`http`) or a number, resolved against the container's ports. */
export function resolvePort(port: number | string, container: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const found = container.ports?.find((p) => p.name === port);
  if (!found) throw new Error(`probe port "${port}" is not a named port of container ${container.name}`);
  return found.containerPort;
}

async function execProbe(command: string[], target: ProbeTarget): Promise<ProbeResult> {
  const session = await target.runtime.exec(target.containerId, { command });
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

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
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

function withTimeout(p: Promise<ProbeResult>, ms: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve({ ok: false, message: `probe timed out after ${ms} ms` }), ms);
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
