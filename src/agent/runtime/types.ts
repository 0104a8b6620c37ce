import type { Readable, Writable } from 'node:stream';
import { TugboatError } from '../../errors.js';

/** Labels every runtime puts on the containers it starts (the dockershim's names, so tools recognise them). */
export const runtimeLabels = {
  namespace: 'io.kubernetes.pod.namespace',
  pod: 'io.kubernetes.pod.name',
  uid: 'io.kubernetes.pod.uid',
  container: 'io.kubernetes.container.name',
  attempt: 'tugboat.dev/attempt',
  managed: 'tugboat.dev/managed',
  node: 'tugboat.dev/node',
} as const;

/** A host directory or file made visible inside a container. */
export interface Mount {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly readOnly: boolean;
}

/** A published port: `hostPort` on the node forwards to `containerPort`. */
export interface PortMapping {
  readonly containerPort: number;
  readonly hostPort?: number;
  readonly hostIP?: string;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
}

/** Which network namespace a container gets. */
export type NetworkMode =
  | { readonly mode: 'bridge' }
  | { readonly mode: 'host' }
  /** Only loopback: the pod sandbox, whose namespace the pod network then plumbs. */
  | { readonly mode: 'none' }
  /** Share the network namespace of another container of the same pod. */
  | { readonly mode: 'container'; readonly containerId: string };

/** Everything a runtime needs to start one container of a pod. */
export interface ContainerLaunch {
  readonly pod: { readonly namespace: string; readonly name: string; readonly uid: string };
  readonly name: string;
  /** How many times this container has been restarted before (the pod's restartCount). */
  readonly attempt: number;
  readonly image: string;
  /** Replaces the image's entrypoint when set (Kubernetes `command`). */
  readonly command?: readonly string[];
  /** Replaces the image's cmd when set (Kubernetes `args`). */
  readonly args?: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly workingDir?: string;
  readonly mounts: readonly Mount[];
  readonly ports: readonly PortMapping[];
  readonly memoryLimitBytes?: number;
  readonly cpuLimitMillis?: number;
  readonly tty?: boolean;
  readonly network: NetworkMode;
  /** Hostname and domain (the sandbox's; containers joining its network share them). */
  readonly hostname?: string;
  readonly domainname?: string;
  /** Labels added to the runtime's own (e.g. the sandbox's pod address). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A container as the runtime sees it. */
export interface RuntimeContainer {
  readonly id: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly podUid: string;
  readonly containerName: string;
  readonly attempt: number;
  readonly image: string;
  readonly imageId: string;
  readonly state: 'created' | 'running' | 'exited';
  readonly exitCode?: number;
  /** True when the kernel's OOM killer ended the container. */
  readonly oomKilled?: boolean;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** The container's IP address on the node's bridge, when it has one. */
  readonly ip?: string;
  /** Host PID of the container's first process while it runs (its namespaces are reachable by it). */
  readonly pid?: number;
  /**
   * Leaders of the process sessions `exec` started in the container while they run (the process
   * runtime, where an exec'd process is not inside the container's own session): they belong to
   * the container's figures and end with it.
   */
  readonly execPids?: readonly number[];
  /** The container's labels. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Options of `logs`. */
export interface LogOptions {
  readonly follow?: boolean;
  readonly tailLines?: number;
  readonly sinceSeconds?: number;
  /** Prefix each line with its RFC 3339 timestamp. */
  readonly timestamps?: boolean;
  /** Ends a followed stream. */
  readonly signal?: AbortSignal;
}

/** Options of `exec`. */
export interface ExecOptions {
  readonly command: readonly string[];
  readonly tty?: boolean;
  readonly stdin?: boolean;
}

/** A running command inside a container. */
export interface ExecSession {
  /** Present when `stdin` was requested. */
  readonly stdin?: Writable;
  readonly stdout: Readable;
  /** Empty when `tty` is set (the terminal merges both streams). */
  readonly stderr: Readable;
  resize(width: number, height: number): Promise<void>;
  /** Resolves with the command's exit code once it has ended. */
  readonly exitCode: Promise<number>;
}

/** Whether an image must be pulled: Kubernetes' imagePullPolicy. */
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** The image could not be made available; the pod shows ErrImagePull, then ImagePullBackOff. */
export class ImagePullError extends TugboatError {
  constructor(
    readonly image: string,
    message: string,
  ) {
    super('IMAGE_PULL', message);
  }
}

/**
 * Runs containers for the agent. `docker` isolates them; `process` runs the command as a host
 * process for development and tests (`isolated: false` is reported on the node).
 */
export interface Runtime {
  readonly name: string;
  /** False when containers are plain host processes (no filesystem, network or resource isolation). */
  readonly isolated: boolean;
  /** The runtime's version; fails when it is unreachable (the node then reports NotReady). */
  version(): Promise<string>;
  /** Makes `image` available locally (pulling per `policy`); returns its image id. */
  ensureImage(image: string, policy: PullPolicy): Promise<string>;
  /** Creates and starts a container. */
  start(launch: ContainerLaunch): Promise<RuntimeContainer>;
  /** Every container this runtime started for tugboat (running or not). */
  list(): Promise<RuntimeContainer[]>;
  /** SIGTERM, then SIGKILL after `graceSeconds`; resolves when the container has stopped. */
  stop(id: string, graceSeconds: number): Promise<void>;
  remove(id: string): Promise<void>;
  logs(id: string, options: LogOptions): Promise<Readable>;
  exec(id: string, options: ExecOptions): Promise<ExecSession>;
  /** Releases connections (does not stop containers). */
  close(): Promise<void>;
}
