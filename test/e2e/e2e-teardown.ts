import { rmSync } from 'node:fs';
import type { HostManager } from '../harness/hosts/host-manager.js';
import type { Moto } from '../harness/moto.js';
import { hostLogTails } from './host-logs.js';
import { kubectl } from './kubectl.js';

/** After a failed step: the tail of every host's logs and what kubectl sees of nodes and pods. */
export async function reportFailure(
  state: string | undefined,
  manager: HostManager | undefined,
  kubeconfig: string | undefined,
): Promise<void> {
  if (state !== 'fail') return;
  if (manager) process.stderr.write(`${hostLogTails(manager.hosts())}\n`);
  if (kubeconfig) {
    const seen = await kubectl(kubeconfig, ['get', 'nodes,pods', '-o', 'wide']);
    process.stderr.write(`kubectl get nodes,pods:\n${seen.stdout}${seen.stderr}\n`);
  }
}

/** Stops whatever of the harness is still up (hosts, then the emulator) and removes the test's directory. */
export async function tearDown(
  manager: HostManager | undefined,
  moto: Moto | undefined,
  dir: string | undefined,
): Promise<void> {
  await manager?.stop().catch((err: Error) => process.stderr.write(`${err.message}\n`));
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
