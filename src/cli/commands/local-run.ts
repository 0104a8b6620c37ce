import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { runLocalDown } from '../../local/down.js';
import { runLocalUp } from '../../local/up.js';
import { type CliIO, cliStateRoot, type GlobalOptions } from '../support/context.js';
import type { KubeconfigFlags } from '../support/kubeconfig-flags.js';
import { printResult } from '../support/output.js';
import { createProgress } from '../support/render.js';

export async function runLocalUpCommand(
  io: CliIO,
  globals: GlobalOptions,
  flags: { nodes: string; runtime: 'auto' | 'docker' | 'process'; podNetwork?: boolean } & KubeconfigFlags,
): Promise<number> {
  const nodes = Number(flags.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 20) {
    throw new UsageError(`--nodes "${flags.nodes}" must be a whole number from 1 to 20`);
  }
  cliStateRoot(io); // says so once when the deprecated TUGBOAT_HOME chose it
  const progress = createProgress(io, globals);
  let result: Awaited<ReturnType<typeof runLocalUp>>;
  try {
    result = await runLocalUp({
      nodes,
      runtime: flags.runtime,
      ...(flags.podNetwork !== undefined ? { podNetwork: flags.podNetwork } : {}),
      env: io.env,
      events: progress.events,
      ...(flags.kubeconfig ? { kubeconfig: resolve(io.cwd, flags.kubeconfig) } : {}),
      switchContext: flags.switchContext !== false,
    });
  } finally {
    await progress.close();
  }
  printResult(io, globals, result, () =>
    [
      result.alreadyRunning ? 'local cluster already running' : 'local cluster is up',
      `  API server:  ${result.server}`,
      `  nodes:       ${result.nodes.map((n) => n.name).join(', ')} (runtime ${result.runtime})`,
      result.podNetwork
        ? `  pod network: ${result.podNetwork.clusterCidr} (bridges ${result.podNetwork.bridges.join(', ')}); Services by cluster IP and DNS name, NodePorts on 127.0.0.1`
        : result.runtime === 'process'
          ? '  pod network: none (pods share the host network; reach Services through NodePorts or kubectl port-forward)'
          : "  pod network: none (Docker's default bridge; reach Services through kubectl port-forward)",
      `  kubeconfig:  ${result.kubeconfigPath} (context ${result.context}${flags.switchContext === false ? '' : ', now current'})`,
      '',
      'try: kubectl get nodes',
      'stop it with: tugboat local down',
    ].join('\n'),
  );
  return 0;
}

export async function runLocalDownCommand(
  io: CliIO,
  globals: GlobalOptions,
  flags: { keepData: boolean },
): Promise<number> {
  cliStateRoot(io); // says so once when the deprecated TUGBOAT_HOME chose it
  const progress = createProgress(io, globals);
  let result: Awaited<ReturnType<typeof runLocalDown>>;
  try {
    result = await runLocalDown({ env: io.env, keepData: flags.keepData, events: progress.events });
  } finally {
    await progress.close();
  }
  printResult(io, globals, result, () =>
    result.wasRunning
      ? `local cluster stopped (${result.stopped.join(', ') || 'nothing was running'}); ` +
        `${result.removedContainers} leftover container(s) removed`
      : `no local cluster in ${result.stateDir}`,
  );
  return 0;
}
