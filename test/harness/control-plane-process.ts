import { type StartedProcess, startProcess } from './process.js';

/**
 * Runs `tugboat control-plane` from source as its own process on 127.0.0.1:`port` over plain
 * loopback HTTP, and waits (bounded) until /readyz answers.
 */
export function startControlPlaneProcess(
  dataDir: string,
  port: number,
  extra: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<StartedProcess> {
  return startProcess(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/support/cli-entry.ts',
      'control-plane',
      '--insecure-loopback-http',
      '--listen',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      ...extra,
    ],
    { env, ready: async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, timeoutMs: 60_000 },
  );
}
