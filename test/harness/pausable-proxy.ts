import { connect, createServer, type Socket } from 'node:net';

/** A TCP proxy on 127.0.0.1 that can black-hole traffic, as a network partition does. */
export interface PausableProxy {
  readonly port: number;
  /** From now on bytes go nowhere: open connections and new ones hang (nothing is refused or reset). */
  pause(): void;
  /** New connections work again; connections that saw the outage stay dead (clients time them out). */
  resume(): void;
  close(): Promise<void>;
}

/** Starts a proxy to 127.0.0.1:`targetPort` on a free loopback port; `close` ends every socket. */
export async function startPausableProxy(targetPort: number): Promise<PausableProxy> {
  let paused = false;
  const clients = new Set<Socket>();
  const dead = new WeakSet<Socket>();
  const server = createServer((client) => {
    clients.add(client);
    client.on('error', () => undefined);
    client.on('close', () => clients.delete(client));
    if (paused) {
      dead.add(client);
      client.resume(); // read and drop
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (b) => {
      if (!dead.has(client)) upstream.write(b);
    });
    upstream.on('data', (b) => {
      if (!dead.has(client)) client.write(b);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    pause() {
      paused = true;
      for (const c of clients) dead.add(c);
    },
    resume() {
      paused = false;
    },
    async close() {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
