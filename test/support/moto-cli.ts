import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type Moto, startMoto } from '../harness/moto.js';
import { type CliRun, runCli } from './cli.js';

/** A test file's moto_server, a scratch directory and the CLI run against them (in-process). */
export interface MotoCli {
  readonly moto: () => Moto;
  readonly dir: () => string;
  readonly env: () => NodeJS.ProcessEnv;
  readonly cli: (...argv: string[]) => Promise<CliRun>;
}

/** Starts moto before the file's tests and removes it and the scratch directory after them. */
export function withMotoCli(name: string): MotoCli {
  let moto: Moto | undefined;
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), `tugboat-${name}-${process.pid}-`));
    env = { ...process.env, ...moto.env, TUGBOAT_STATE_DIR: join(dir, 'state') };
    delete env.AWS_PROFILE;
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    moto: () => moto!,
    dir: () => dir,
    env: () => env,
    cli: (...argv) => runCli(argv, { env, cwd: dir }),
  };
}
