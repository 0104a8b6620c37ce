import { startControlPlane } from '../../index.js';
import type { CliIO, GlobalOptions } from '../context.js';
import type { ControlPlaneFlags } from './api-server.js';

/**
 * Runs the control plane until SIGTERM or SIGINT, then shuts down gracefully (stop accepting,
 * end watches, close the store) and returns 0. Events go to stderr as plain lines.
 */
export async function runControlPlane(
  io: CliIO,
  globals: GlobalOptions,
  flags: ControlPlaneFlags,
): Promise<number> {
  // Listen for signals before starting, so a SIGTERM during start-up still shuts down cleanly.
  let onSignal = () => {};
  const signalled = new Promise<void>((resolve) => {
    onSignal = () => resolve();
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const running = await startControlPlane({
      dataDir: flags.dataDir,
      store: flags.store,
      etcdEndpoints: flags.etcdEndpoints
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      tlsCertFile: flags.tlsCertFile,
      tlsPrivateKeyFile: flags.tlsPrivateKeyFile,
      clientCaFile: flags.clientCaFile,
      tokenAuthFile: flags.tokenAuthFile,
      kubeletClientCertificate: flags.kubeletClientCertificate,
      kubeletClientKey: flags.kubeletClientKey,
      listen: flags.listen,
      insecureLoopbackHttp: flags.insecureLoopbackHttp,
      controllers: flags.controllers,
      events: {
        emit(e) {
          if (e.level !== 'debug' || globals.debug) io.stderr(`${e.level}: ${e.message}\n`);
        },
      },
    });
    await signalled;
    await running.stop();
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
