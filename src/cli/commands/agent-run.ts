import { loadAgentConfig, parseLabels } from '../../agent/config.js';
import { startAgentProcess } from '../../agent/main.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { lineSink } from '../support/event-lines.js';
import type { AgentFlags } from './agent.js';

/**
 * Runs the node agent until SIGTERM or SIGINT, then stops its loops and servers (containers keep
 * running; a restarted agent adopts them) and returns 0. Events go to stderr as plain lines.
 */
export async function runAgent(io: CliIO, globals: GlobalOptions, flags: AgentFlags): Promise<number> {
  const config = loadAgentConfig(flags.config, {
    server: flags.server,
    caFile: flags.caFile,
    certFile: flags.certFile,
    keyFile: flags.keyFile,
    tokenFile: flags.tokenFile,
    bootstrapTokenFile: flags.bootstrapTokenFile,
    insecureLoopback: flags.insecureLoopback,
    nodeName: flags.nodeName,
    internalIP: flags.internalIp,
    externalIP: flags.externalIp,
    zone: flags.zone,
    region: flags.region,
    instanceType: flags.instanceType,
    group: flags.group,
    labels: flags.labels ? parseLabels(flags.labels) : undefined,
    taints: flags.taint,
    runtime: flags.runtime,
    dataDir: flags.dataDir,
    listen: flags.listen,
    tlsCertFile: flags.tlsCertFile,
    tlsKeyFile: flags.tlsKeyFile,
    clientCaFile: flags.clientCaFile,
    serverTlsBootstrap: flags.rotateServerCertificates,
    imds: flags.imds,
    serviceProxy: flags.serviceProxy,
    clusterCidr: flags.clusterCidr,
    eip: flags.eipCluster && flags.eipPool ? { cluster: flags.eipCluster, pool: flags.eipPool } : undefined,
    podNetwork: flags.podNetwork
      ? flags.sandboxImage
        ? { sandboxImage: flags.sandboxImage }
        : {}
      : undefined,
  });
  const running = await startAgentProcess(config, lineSink(io, globals));
  io.stderr(`agent for node ${running.agent.nodeName} running (logs/exec port ${running.port})\n`);
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
