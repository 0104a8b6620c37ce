// Runs inside a simulated instance's network namespace (nsenter --net): listens on addresses of
// that namespace and relays every connection to a unix socket on the machine's filesystem, where
// the host harness serves it. Path-named unix sockets are not tied to a network namespace, so this
// is how an instance reaches the IMDS stand-in (169.254.169.254:80) and the AWS emulator (moto on
// the runner's loopback, which a namespace cannot reach) without any route out of the namespace.
//
// Usage: node netns-relay.mjs READY_FILE ADDRESS:PORT=SOCKET [...]; writes READY_FILE once every
// listener is up.
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

const [readyFile, ...specs] = process.argv.slice(2);
if (!readyFile || specs.length === 0) {
  process.stderr.write('usage: netns-relay.mjs READY_FILE ADDRESS:PORT=SOCKET [...]\n');
  process.exit(2);
}
let listening = 0;
for (const spec of specs) {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)=(\/.+)$/.exec(spec);
  if (!m) {
    process.stderr.write(`netns-relay: ${spec} is not ADDRESS:PORT=/PATH\n`);
    process.exit(2);
  }
  const [, address, port, socket] = m;
  const server = createServer((client) => {
    const upstream = connect(socket);
    // A side that closes lets the other finish writing what it has (end, not destroy: destroy
    // would drop the unflushed tail of a large response); an error tears both down.
    client.on('close', () => upstream.end()).on('error', () => upstream.destroy());
    upstream.on('close', () => client.end()).on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  server.on('error', (err) => {
    process.stderr.write(`netns-relay: ${address}:${port}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(Number(port), address, () => {
    process.stdout.write(`relay ${address}:${port} -> ${socket}\n`);
    if (++listening === specs.length) writeFileSync(readyFile, `${process.pid}\n`);
  });
}
process.on('SIGTERM', () => process.exit(0));
