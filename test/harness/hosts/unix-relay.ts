import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A unix socket on the machine whose connections go to a TCP address of the runner. */
export interface UnixRelay {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Serves `path` and relays each connection to `host:port` (only loopback: the harness never
 * relays off the machine). The instance side is test/harness/hosts/netns-relay.mjs, inside the
 * instance's network namespace.
 */
export async function startUnixRelay(path: string, host: string, port: number): Promise<UnixRelay> {
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) throw new Error(`unix relay target ${host} is not on loopback`);
  rmSync(path, { force: true });
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, host);
    open.add(client).add(upstream);
    // end, not destroy, when a side closes: destroy would drop the unflushed tail of a response.
    client.on('close', () => {
      open.delete(client);
      upstream.end();
    });
    upstream.on('close', () => {
      open.delete(upstream);
      client.end();
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
