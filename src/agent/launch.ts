import { join } from 'node:path';
import { parseBytes, parseCpuMillis } from '../client/quantity.js';
import { TugboatError } from '../errors.js';
import type { Container, Pod } from '../kube/index.js';
import type { ContainerLaunch, Mount, NetworkMode, PortMapping } from './runtime/types.js';

/** A container refers to something the pod does not define; it waits with CreateContainerConfigError. */
export class LaunchError extends TugboatError {
  constructor(message: string) {
    super('CONTAINER_CONFIG', message);
  }
}

/**
 * Turns a pod's container spec into a runtime launch: mounts from the prepared volume paths,
 * ports, memory/CPU limits (limits, else requests), command/args. Pure.
 */
export function buildLaunch(input: {
  readonly pod: Pod;
  readonly container: Container;
  readonly attempt: number;
  readonly env: readonly { name: string; value: string }[];
  readonly volumePaths: ReadonlyMap<string, string>;
  readonly network: NetworkMode;
  /** Mounts of the pod itself (its /etc/hosts), unless the container mounts that path. */
  readonly extraMounts?: readonly Mount[];
}): ContainerLaunch {
  const { pod, container } = input;
  const mounts: Mount[] = (container.volumeMounts ?? []).map((m) => {
    const host = input.volumePaths.get(m.name);
    if (!host) {
      throw new LaunchError(
        `container ${container.name} mounts volume "${m.name}" which the pod does not define: add it to spec.volumes`,
      );
    }
    return {
      hostPath: m.subPath ? join(host, m.subPath) : host,
      containerPath: m.mountPath,
      readOnly: m.readOnly ?? false,
    };
  });
  for (const m of input.extraMounts ?? []) {
    if (!mounts.some((x) => x.containerPath === m.containerPath)) mounts.push(m);
  }
  const ports: PortMapping[] = (container.ports ?? []).map((p) => ({
    containerPort: p.containerPort,
    ...(p.hostPort ? { hostPort: p.hostPort } : {}),
    ...(p.hostIP ? { hostIP: p.hostIP } : {}),
    protocol: (p.protocol ?? 'TCP').toLowerCase() as PortMapping['protocol'],
  }));
  const memory = container.resources?.limits?.memory ?? container.resources?.requests?.memory;
  const cpu = container.resources?.limits?.cpu;
  return {
    pod: {
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
    },
    name: container.name,
    attempt: input.attempt,
    image: container.image,
    ...(container.command ? { command: container.command } : {}),
    ...(container.args ? { args: container.args } : {}),
    env: input.env,
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    mounts,
    ports,
    ...(memory ? { memoryLimitBytes: parseBytes(memory) } : {}),
    ...(cpu ? { cpuLimitMillis: parseCpuMillis(cpu) } : {}),
    tty: container.tty ?? false,
    network: input.network,
  };
}
