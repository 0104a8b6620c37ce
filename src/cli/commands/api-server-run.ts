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
    events: {
      emit(e) {
        if (e.level !== 'debug' || globals.debug) io.stderr(`${e.level}: ${e.message}\n`);
      },
    },
  });
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await running.stop();
  return 0;
}
