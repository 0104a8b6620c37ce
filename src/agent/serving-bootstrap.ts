import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { EventSink } from '../events.js';
import { sleep } from '../timing.js';
import { unusableNodeCertificate } from './bootstrap-credentials.js';
import type { AgentServer } from './server/agent-server.js';
import { requestNodeServingCertificate } from './tls-bootstrap.js';

/**
 * Why the serving certificate on disk cannot serve this node, or undefined when it can: a usable
 * `system:node:<name>` pair (see unusableNodeCertificate) whose SANs cover every address.
 */
export function unusableServingCertificate(
  certFile: string,
  keyFile: string,
  nodeName: string,
  addresses: readonly string[],
  now: Date,
): string | undefined {
  const why = unusableNodeCertificate(certFile, keyFile, nodeName, now);
  if (why) return why.replace('no client certificate yet', 'no serving certificate yet');
  const cert = new X509Certificate(readFileSync(certFile));
  const missing = addresses.filter((a) => (isIP(a) ? !cert.checkIP(a) : !cert.checkHost(a)));
  return missing.length ? `${certFile} does not name ${missing.join(', ')}` : undefined;
}

/** Options of {@link bootstrapServingCertificate}. */
export interface ServingBootstrapRun {
  /**
   * The API servers to ask, in failover order, read again for each request: the agent passes its
   * client's current list (the one the follower keeps), so a master replaced meanwhile is not asked.
   */
  readonly servers: () => readonly string[];
  readonly caFile: string;
  /** The node's client certificate and key (what the request is authenticated with). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly nodeName: string;
  readonly addresses: readonly string[];
  readonly certFile: string;
  readonly keyFile: string;
  readonly agentServer: AgentServer;
  readonly events: EventSink;
  readonly signal: AbortSignal;
  /** One request's wait before a new one is made. @default 120_000 */
  readonly attemptMs?: number;
  /** @default 10_000 */
  readonly retryMs?: number;
}

/**
 * Kubelet's serverTLSBootstrap, after the Node is registered (the approver compares the SANs with
 * the Node's addresses): a `kubernetes.io/kubelet-serving` CSR as the node itself, then the
 * logs/exec server serves with the issued certificate. Until then its handshakes fail, so
 * `kubectl logs` says the node cannot be reached rather than trusting anything else. A request
 * that is refused or not approved in time is made again (a new key) after `retryMs`, until the
 * agent stops.
 */
export async function bootstrapServingCertificate(run: ServingBootstrapRun): Promise<void> {
  const { events } = run;
  while (!run.signal.aborted) {
    try {
      events.emit({
        code: 'agent.serving-bootstrap.requesting',
        level: 'info',
        message: `requesting a kubelet-serving certificate for system:node:${run.nodeName} naming ${run.addresses.join(', ')}`,
        data: { nodeName: run.nodeName, addresses: run.addresses },
      });
      const [server, ...failoverServers] = run.servers();
      if (!server) throw new Error('no API server to ask');
      const certPem = await requestNodeServingCertificate({
        server,
        failoverServers,
        ca: readFileSync(run.caFile, 'utf8'),
        clientCert: readFileSync(run.clientCertFile, 'utf8'),
        clientKey: readFileSync(run.clientKeyFile, 'utf8'),
        nodeName: run.nodeName,
        addresses: run.addresses,
        certFile: run.certFile,
        keyFile: run.keyFile,
        timeoutMs: run.attemptMs ?? 120_000,
        signal: run.signal,
      });
      run.agentServer.setServingCertificate(certPem, readFileSync(run.keyFile));
      events.emit({
        code: 'agent.serving-bootstrap.issued',
        level: 'info',
        message: `serving certificate for ${run.nodeName} issued: logs/exec reachable`,
        data: { nodeName: run.nodeName, certFile: run.certFile },
      });
      return;
    } catch (err) {
      if (run.signal.aborted) return;
      events.emit({
        code: 'agent.serving-bootstrap.failed',
        level: 'warn',
        message: `no serving certificate yet (${(err as Error).message}); asking again in ${Math.round((run.retryMs ?? 10_000) / 1000)} s`,
        data: { nodeName: run.nodeName },
      });
      await sleep(run.retryMs ?? 10_000, run.signal).catch(() => undefined);
    }
  }
}
