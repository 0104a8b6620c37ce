import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type StartedProcess, startProcess } from './process.js';

/** A running moto_server (the AWS API emulator) on 127.0.0.1, started and stopped by a test. */
export interface Moto {
  readonly endpoint: string;
  /** Environment for SDK clients and child processes (endpoint, region, dummy credentials). */
  readonly env: NodeJS.ProcessEnv;
  /** Forget all emulated state. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts moto_server on a free loopback port, from an empty directory. */
export async function startMoto(options: { region?: string } = {}): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-moto-'));
  let proc: StartedProcess;
  try {
    proc = await startProcess('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
      cwd: dir,
      // moto builds botocore clients for its own routing, and botocore looks for credentials:
      // without these it asks the instance metadata service at 169.254.169.254 (off this machine).
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      ready: async () => (await fetch(`${endpoint}/moto-api/data.json`)).ok,
      timeoutMs: 30_000,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const env: NodeJS.ProcessEnv = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: options.region ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return {
    endpoint,
    env,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
    },
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
