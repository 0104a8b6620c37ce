import net from 'node:net';
import type { WebSocket } from 'ws';
import { SpdySession, type SpdyStream } from './spdy-session.js';

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

/**
 * Serves the `portforward.k8s.io` protocol on a SPDY/3.1 session whose bytes travel in the
 * WebSocket's binary messages (the API server relays kubectl's tunnel or raw SPDY upgrade): the client opens an
 * `error` and a `data` stream per connection (headers `streamtype`, `port`, `requestid`); once
 * both are open the agent connects to `host:port` and copies bytes both ways. A failed connect is
 * written on the error stream (kubectl prints it), as the kubelet does.
 */
export function servePortForward(ws: WebSocket, host: string, podName: string): void {
  const sockets = new Set<net.Socket>();
  const pairs = new Map<string, Pair>();
  const session = new SpdySession(
    (bytes) => {
      if (ws.readyState === ws.OPEN) ws.send(bytes, { binary: true });
    },
    (stream) => {
      const type = stream.headers.get('streamtype');
      const id = stream.headers.get('requestid') ?? '';
      const pair = pairs.get(id) ?? {};
      if (type === 'error') pair.error = stream;
      else if (type === 'data') pair.data = stream;
      else return session.end(stream.id);
      pairs.set(id, pair);
      if (pair.error && pair.data) {
        pairs.delete(id);
        forward(pair.error, pair.data);
      }
    },
    () => ws.terminate(),
  );

  function forward(error: SpdyStream, data: SpdyStream): void {
    const portText = data.headers.get('port') ?? '';
    const port = Number(portText);
    const finish = () => {
      session.end(data.id);
      session.end(error.id);
    };
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      session.send(error.id, Buffer.from(`invalid port "${portText}"`));
      finish();
      return;
    }
    const socket = net.connect({ host, port });
    sockets.add(socket);
    let connected = false;
    const pending: Buffer[] = [];
    data.onData = (b) => (connected ? socket.write(b) : pending.push(b));
    data.onEnd = () => (connected ? socket.end() : socket.destroy());
    error.onEnd = () => undefined;
    socket.on('connect', () => {
      connected = true;
      for (const b of pending.splice(0)) socket.write(b);
    });
    socket.on('data', (b: Buffer) => session.send(data.id, b));
    socket.on('error', (err) => {
      if (!connected)
        session.send(
          error.id,
          Buffer.from(
            `error forwarding port ${port} to pod ${podName}: dial tcp ${host}:${port}: ${err.message}`,
          ),
        );
    });
    socket.on('close', () => {
      sockets.delete(socket);
      finish();
    });
  }

  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    session.push(Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw));
  });
  ws.on('close', () => {
    session.close();
    for (const s of sockets) s.destroy();
  });
}
