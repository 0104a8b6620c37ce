import http, { type IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { TugboatError, UsageError } from '../../errors.js';

/** The Engine API version tugboat speaks (Docker 20.10 and later). */
export const dockerApiVersion = 'v1.41';

/** The Docker Engine answered with an error status. */
export class DockerApiError extends TugboatError {
  constructor(
    readonly status: number,
    readonly path: string,
    message: string,
  ) {
    super('DOCKER_API', `docker ${path} failed with ${status}: ${message}`);
  }
}

/**
 * Finds the Engine socket the way the docker CLI does: `DOCKER_HOST` (only `unix://` is
 * supported: tugboat never talks to a remote daemon), else `/var/run/docker.sock`.
 */
export function findDockerSocket(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  throw new UsageError(`DOCKER_HOST=${host} is not supported: use unix:///path/to/docker.sock or unset it`);
}

/** Options of one Engine API request. */
export interface DockerRequest {
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  /** Raw request body (e.g. an image tarball); overrides `body`. */
  readonly stream?: Readable;
  readonly signal?: AbortSignal;
}

/** A thin client of the Docker Engine API over its unix socket (node:http with `socketPath`). */
export class DockerApi {
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(readonly socketPath: string) {}

  /** Sends a request and parses the JSON answer; throws DockerApiError on a status >= 400. */
  async json<T>(method: string, path: string, options: DockerRequest = {}): Promise<T> {
    const res = await this.open(method, path, options);
    const text = await readText(res);
    if ((res.statusCode ?? 0) >= 400) throw new DockerApiError(res.statusCode ?? 0, path, errorMessage(text));
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Sends a request and returns the response body as a stream; throws on a status >= 400. */
  async stream(method: string, path: string, options: DockerRequest = {}): Promise<IncomingMessage> {
    const res = await this.open(method, path, options);
    if ((res.statusCode ?? 0) >= 400) {
      throw new DockerApiError(res.statusCode ?? 0, path, errorMessage(await readText(res)));
    }
    return res;
  }

  /**
   * Sends a request that hijacks the connection (exec start, attach) and returns the raw
   * bidirectional socket once the daemon switches protocols.
   */
  upgrade(path: string, body: unknown): Promise<Duplex> {
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request({
        socketPath: this.socketPath,
        method: 'POST',
        path: `/${dockerApiVersion}${path}`,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          connection: 'Upgrade',
          upgrade: 'tcp',
        },
      });
      req.on('upgrade', (_res, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', async (res) => {
        reject(new DockerApiError(res.statusCode ?? 0, path, errorMessage(await readText(res))));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy();
  }

  private open(method: string, path: string, options: DockerRequest): Promise<IncomingMessage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    const headers: Record<string, string> = {};
    let payload: Buffer | undefined;
    if (options.stream) headers['content-type'] = 'application/x-tar';
    else if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path: `/${dockerApiVersion}${path}${qs ? `?${qs}` : ''}`,
          headers,
          agent: this.agent,
          signal: options.signal,
        },
        resolve,
      );
      req.on('error', reject);
      if (options.stream) options.stream.pipe(req);
      else req.end(payload);
    });
  }
}

/**
 * Splits Docker's multiplexed stream (8-byte frame headers: stream id 1 stdout, 2 stderr, then
 * a big-endian length) into separate stdout and stderr streams.
 */
export function demuxDockerStream(source: Readable): { stdout: PassThrough; stderr: PassThrough } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let buf = Buffer.alloc(0);
  source.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const frame = buf.subarray(8, 8 + size);
      (buf[0] === 2 ? stderr : stdout).write(frame);
      buf = buf.subarray(8 + size);
    }
  });
  const end = () => {
    stdout.end();
    stderr.end();
  };
  source.on('end', end);
  source.on('close', end);
  source.on('error', end);
  return { stdout, stderr };
}

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function errorMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text.trim() || 'no message';
  }
}
