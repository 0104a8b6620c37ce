import { PassThrough, type Readable } from 'node:stream';
import { sleep } from '../../timing.js';
import { DockerApi, DockerApiError, demuxDockerStream, findDockerSocket } from './docker-api.js';
import { ensurePauseImage, PAUSE_IMAGE } from './pause-image.js';
import {
  type ContainerLaunch,
  type ExecOptions,
  type ExecSession,
  ImagePullError,
  type LogOptions,
  type PullPolicy,
  type Runtime,
  type RuntimeContainer,
  runtimeLabels,
} from './types.js';

/** Options of the Docker runtime. */
export interface DockerRuntimeOptions {
  /** The Engine's unix socket. @default from DOCKER_HOST, else /var/run/docker.sock */
  readonly socketPath?: string;
  /**
   * Label containers with this node name and see only those, so agents sharing one daemon
   * (tests, `tugboat local`) never adopt or remove each other's containers. @default all tugboat containers
   */
  readonly nodeName?: string;
  /**
   * Honour imagePullPolicy Always by pulling even when the image is present. Off by default:
   * tugboat uses a present local image whatever the policy (the API server defaults `:latest`
   * images to Always, which would make locally imported images unusable without a registry).
   * @default false
   */
  readonly honourAlwaysPull?: boolean;
}

interface Inspect {
  Id: string;
  Image: string;
  Config: { Image: string; Labels: Record<string, string> | null };
  State: {
    Status: string;
    ExitCode: number;
    OOMKilled: boolean;
    StartedAt: string;
    FinishedAt: string;
    Pid?: number;
  };
  NetworkSettings: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> };
}

const zeroTime = '0001-01-01T00:00:00Z';

/** Runs pod containers with the Docker Engine API over its unix socket. */
export class DockerRuntime implements Runtime {
  readonly name = 'docker';
  readonly isolated = true;
  readonly api: DockerApi;
  /** Exited containers never change again, so their inspect results are kept. */
  private readonly exited = new Map<string, RuntimeContainer>();

  private readonly nodeName: string | undefined;

  constructor(options: DockerRuntimeOptions = {}) {
    this.api = new DockerApi(options.socketPath ?? findDockerSocket());
    this.nodeName = options.nodeName;
    this.honourAlwaysPull = options.honourAlwaysPull ?? false;
  }

  private readonly honourAlwaysPull: boolean;

  async version(): Promise<string> {
    const v = await this.api.json<{ Version: string }>('GET', '/version');
    return `docker://${v.Version}`;
  }

  async ensureImage(image: string, policy: PullPolicy): Promise<string> {
    const local = await this.inspectImage(image);
    if (local && (policy !== 'Always' || !this.honourAlwaysPull)) return local;
    if (image === PAUSE_IMAGE) {
      // Built here, never pulled: hosts need no registry for pod sandboxes.
      await ensurePauseImage(this.api);
      const built = await this.inspectImage(image);
      if (!built) throw new ImagePullError(image, `building ${image} finished but the image is not present`);
      return built;
    }
    if (policy === 'Never') {
      throw new ImagePullError(
        image,
        `image ${image} is not present and imagePullPolicy is Never: load it on the node or change the policy`,
      );
    }
    const at = image.lastIndexOf(':');
    const hasTag = at > image.lastIndexOf('/') && !image.includes('@');
    const query = hasTag
      ? { fromImage: image.slice(0, at), tag: image.slice(at + 1) }
      : { fromImage: image, tag: image.includes('@') ? undefined : 'latest' };
    let text = '';
    try {
      const res = await this.api.stream('POST', '/images/create', { query });
      for await (const chunk of res) text += chunk;
    } catch (err) {
      throw new ImagePullError(
        image,
        `pulling ${image} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const failure = text
      .split('\n')
      .map((l) => (l.trim() ? (JSON.parse(l) as { error?: string }) : {}))
      .find((m) => m.error);
    if (failure) throw new ImagePullError(image, `pulling ${image} failed: ${failure.error}`);
    const pulled = await this.inspectImage(image);
    if (!pulled) throw new ImagePullError(image, `pulling ${image} finished but the image is not present`);
    return pulled;
  }

  async start(launch: ContainerLaunch): Promise<RuntimeContainer> {
    const labels: Record<string, string> = {
      [runtimeLabels.namespace]: launch.pod.namespace,
      [runtimeLabels.pod]: launch.pod.name,
      [runtimeLabels.uid]: launch.pod.uid,
      [runtimeLabels.container]: launch.name,
      [runtimeLabels.attempt]: String(launch.attempt),
      [runtimeLabels.managed]: 'true',
      ...(this.nodeName ? { [runtimeLabels.node]: this.nodeName } : {}),
      ...launch.labels,
    };
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of launch.ports) {
      const key = `${p.containerPort}/${p.protocol}`;
      exposed[key] = {};
      if (p.hostPort) bindings[key] = [{ HostIp: p.hostIP ?? '', HostPort: String(p.hostPort) }];
    }
    const network =
      launch.network.mode === 'container' ? `container:${launch.network.containerId}` : launch.network.mode;
    const name = `tugboat_${this.nodeName ? `${this.nodeName}_` : ''}${launch.name}_${launch.pod.name}_${launch.pod.namespace}_${launch.pod.uid.slice(0, 8)}_${launch.attempt}`;
    const body = {
      Image: launch.image,
      Entrypoint: launch.command ? [...launch.command] : undefined,
      Cmd: launch.args ? [...launch.args] : launch.command ? [] : undefined,
      Env: launch.env.map((e) => `${e.name}=${e.value}`),
      WorkingDir: launch.workingDir,
      Labels: labels,
      Tty: launch.tty ?? false,
      Hostname: launch.hostname,
      Domainname: launch.domainname,
      ExposedPorts: launch.network.mode === 'container' ? undefined : exposed,
      HostConfig: {
        Binds: launch.mounts.map((m) => `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`),
        PortBindings: launch.network.mode === 'bridge' ? bindings : undefined,
        NetworkMode: network,
        Memory: launch.memoryLimitBytes,
        NanoCpus: launch.cpuLimitMillis ? launch.cpuLimitMillis * 1_000_000 : undefined,
        RestartPolicy: { Name: 'no' },
        Init: false,
      },
    };
    let created: { Id: string };
    try {
      created = await this.api.json<{ Id: string }>('POST', '/containers/create', { query: { name }, body });
    } catch (err) {
      if (!(err instanceof DockerApiError && err.status === 409)) throw err;
      // A container of this attempt exists from an interrupted start: replace it.
      await this.api.json('DELETE', `/containers/${name}`, { query: { force: true } });
      created = await this.api.json<{ Id: string }>('POST', '/containers/create', { query: { name }, body });
    }
    await this.api.json('POST', `/containers/${created.Id}/start`);
    return this.inspect(created.Id);
  }

  async list(): Promise<RuntimeContainer[]> {
    const labels = [`${runtimeLabels.managed}=true`];
    if (this.nodeName) labels.push(`${runtimeLabels.node}=${this.nodeName}`);
    const filters = JSON.stringify({ label: labels });
    const summary = await this.api.json<{ Id: string; State: string }[]>('GET', '/containers/json', {
      query: { all: true, filters },
    });
    const ids = new Set(summary.map((s) => s.Id));
    for (const id of this.exited.keys()) if (!ids.has(id)) this.exited.delete(id);
    const out: RuntimeContainer[] = [];
    for (const s of summary) {
      const cached = this.exited.get(s.Id);
      if (cached) {
        out.push(cached);
        continue;
      }
      try {
        out.push(await this.inspect(s.Id));
      } catch (err) {
        if (!(err instanceof DockerApiError && err.status === 404)) throw err;
      }
    }
    return out;
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.api.json('POST', `/containers/${id}/stop`, {
        query: { t: Math.max(0, Math.round(graceSeconds)) },
      });
    } catch (err) {
      if (err instanceof DockerApiError && (err.status === 304 || err.status === 404)) return;
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    this.exited.delete(id);
    try {
      await this.api.json('DELETE', `/containers/${id}`, { query: { force: true, v: true } });
    } catch (err) {
      if (err instanceof DockerApiError && err.status === 404) return;
      throw err;
    }
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    const res = await this.api.stream('GET', `/containers/${id}/logs`, {
      query: {
        stdout: true,
        stderr: true,
        follow: options.follow ?? false,
        tail: options.tailLines ?? 'all',
        since: options.sinceSeconds ? Math.floor(Date.now() / 1000) - options.sinceSeconds : undefined,
        timestamps: options.timestamps ?? false,
      },
      signal: options.signal,
    });
    const tty = (await this.api.json<{ Config: { Tty: boolean } }>('GET', `/containers/${id}/json`)).Config
      .Tty;
    if (tty) return res;
    const out = new PassThrough();
    const { stdout, stderr } = demuxDockerStream(res);
    let open = 2;
    for (const s of [stdout, stderr]) {
      s.on('data', (c: Buffer) => out.write(c));
      s.on('end', () => {
        if (--open === 0) out.end();
      });
    }
    out.on('close', () => res.destroy());
    return out;
  }

  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    const tty = options.tty ?? false;
    const created = await this.api.json<{ Id: string }>('POST', `/containers/${id}/exec`, {
      body: {
        AttachStdin: options.stdin ?? false,
        AttachStdout: true,
        AttachStderr: true,
        Tty: tty,
        Cmd: [...options.command],
      },
    });
    const socket = await this.api.upgrade(`/exec/${created.Id}/start`, { Detach: false, Tty: tty });
    const streams = tty
      ? { stdout: socket.pipe(new PassThrough()), stderr: new PassThrough().end() }
      : demuxDockerStream(socket);
    const exitCode = new Promise<number>((resolve) => {
      streams.stdout.on('end', async () => {
        for (let i = 0; i < 50; i++) {
          const info = await this.api
            .json<{ Running: boolean; ExitCode: number | null }>('GET', `/exec/${created.Id}/json`)
            .catch(() => undefined);
          if (info && !info.Running) return resolve(info.ExitCode ?? 0);
          await sleep(20 * (i + 1));
        }
        resolve(-1);
      });
    });
    return {
      stdin: options.stdin ? socket : undefined,
      stdout: streams.stdout,
      stderr: streams.stderr,
      exitCode,
      resize: async (width, height) => {
        await this.api
          .json('POST', `/exec/${created.Id}/resize`, { query: { w: width, h: height } })
          .catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    this.api.close();
  }

  private async inspectImage(image: string): Promise<string | undefined> {
    try {
      return (await this.api.json<{ Id: string }>('GET', `/images/${encodeURIComponent(image)}/json`)).Id;
    } catch (err) {
      if (err instanceof DockerApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  private async inspect(id: string): Promise<RuntimeContainer> {
    const c = await this.api.json<Inspect>('GET', `/containers/${id}/json`);
    const labels = c.Config.Labels ?? {};
    const state =
      c.State.Status === 'running' || c.State.Status === 'paused' || c.State.Status === 'restarting'
        ? 'running'
        : c.State.Status === 'created'
          ? 'created'
          : 'exited';
    const ip =
      c.NetworkSettings.IPAddress ||
      Object.values(c.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress ||
      undefined;
    const result: RuntimeContainer = {
      id: c.Id,
      podNamespace: labels[runtimeLabels.namespace] ?? '',
      podName: labels[runtimeLabels.pod] ?? '',
      podUid: labels[runtimeLabels.uid] ?? '',
      containerName: labels[runtimeLabels.container] ?? '',
      attempt: Number(labels[runtimeLabels.attempt] ?? 0),
      image: c.Config.Image,
      imageId: c.Image,
      state,
      exitCode: state === 'exited' ? c.State.ExitCode : undefined,
      oomKilled: c.State.OOMKilled,
      startedAt: c.State.StartedAt && c.State.StartedAt !== zeroTime ? c.State.StartedAt : undefined,
      finishedAt: c.State.FinishedAt && c.State.FinishedAt !== zeroTime ? c.State.FinishedAt : undefined,
      ip,
      ...(state === 'running' && c.State.Pid ? { pid: c.State.Pid } : {}),
      labels,
    };
    if (state === 'exited') this.exited.set(c.Id, result);
    return result;
  }
}
