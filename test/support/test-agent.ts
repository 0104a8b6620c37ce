import type { ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { TestPki } from './certs.js';

/** A kubelet-compatible logs/exec endpoint for API-server tests (TLS, client certificate required). */
export interface TestAgent {
  readonly port: number;
  /** Every request path (with query) the agent received. */
  readonly requests: string[];
  /** Subject CNs of the client certificates that called. */
  readonly callers: string[];
  /** Open `follow=true` log responses, oldest first: the test writes more lines and ends them. */
  readonly follows: FollowStream[];
  stop(): Promise<void>;
}

/** A follow log response the test agent keeps open. */
export interface FollowStream {
  readonly res: ServerResponse;
  /** True once the response closed (ended by the test, or the proxy went away). */
  closed: boolean;
}

/**
 * Starts the endpoint on 127.0.0.1. `/containerLogs/{ns}/{pod}/{c}` answers `log line N of c`
 * lines (honouring tailLines) and, with follow=true, keeps the response open in `follows`; WebSocket `/exec/...` runs `echo ARGS` (stdout, exit 0) and
 * anything else as a failure with exit code 3, speaking v5/v4.channel.k8s.io.
 */
export async function startTestAgent(pki: TestPki): Promise<TestAgent> {
  const requests: string[] = [];
  const callers: string[] = [];
  const follows: FollowStream[] = [];
  const server = https.createServer(
    {
      cert: pki.server.cert,
      key: pki.server.key,
      ca: pki.ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      requests.push(req.url ?? '');
      const cn = (req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN;
      callers.push(String(cn));
      const url = new URL(req.url ?? '/', 'https://agent');
      const parts = url.pathname.split('/').filter(Boolean);
      if (parts[0] !== 'containerLogs' || parts.length !== 4) {
        res.writeHead(404).end('not found');
        return;
      }
      const lines = Array.from({ length: 5 }, (_, i) => `log line ${i + 1} of ${parts[3]}\n`);
      const tail = Number(url.searchParams.get('tailLines') ?? '0');
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const text = (tail > 0 ? lines.slice(-tail) : lines).join('');
      if (url.searchParams.get('follow') !== 'true') {
        res.end(text);
        return;
      }
      res.write(text);
      const stream: FollowStream = { res, closed: false };
      res.on('close', () => {
        stream.closed = true;
      });
      follows.push(stream);
    },
  );
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) =>
      ['v5.channel.k8s.io', 'v4.channel.k8s.io'].find((p) => protocols.has(p)) ?? false,
  });
  server.on('upgrade', (req, socket, head) => {
    requests.push(req.url ?? '');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const url = new URL(req.url ?? '/', 'https://agent');
      const command = url.searchParams.getAll('command');
      const send = (channel: number, text: string) =>
        ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(text)]));
      if (command[0] === 'echo') {
        send(1, `${command.slice(1).join(' ')}\n`);
        send(3, JSON.stringify({ metadata: {}, status: 'Success' }));
      } else {
        send(2, `${command[0]}: not found\n`);
        send(
          3,
          JSON.stringify({
            metadata: {},
            status: 'Failure',
            message: 'command terminated with non-zero exit code',
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: '3' }] },
          }),
        );
      }
      ws.close(1000);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    callers,
    follows,
    stop: () =>
      new Promise<void>((resolve) => {
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
