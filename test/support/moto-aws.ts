import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import { type Moto, startMoto } from '../harness/moto.js';

/** A moto_server with AWS clients pointed at it and a temp state root for SSH keys. */
export interface MotoAws {
  readonly moto: Moto;
  readonly aws: AwsClients;
  /** Temp directory standing in for ~/.tugboat. */
  readonly stateRoot: string;
  stop(): Promise<void>;
}

/** Starts moto on a free loopback port and makes clients for it (one per test file). */
export async function startMotoAws(): Promise<MotoAws> {
  const moto = await startMoto();
  const aws = await createAwsClients({ env: moto.env });
  const stateRoot = mkdtempSync(join(tmpdir(), `tugboat-state-${process.pid}-`));
  return {
    moto,
    aws,
    stateRoot,
    async stop() {
      await moto.stop();
      rmSync(stateRoot, { recursive: true, force: true });
    },
  };
}
