import { afterAll, beforeAll } from 'vitest';
import type { ApiServerOptions } from '../../src/control-plane/api/server.js';
import { type RunningApiServer, startApiServer } from './api-server.js';

/**
 * Registers beforeAll/afterAll hooks that start and stop an API server (plain HTTP on loopback
 * unless `options.tls`); the returned getter reads it once started.
 */
export function useApiServer(options: Partial<ApiServerOptions> = {}): () => RunningApiServer {
  let srv: RunningApiServer | undefined;
  beforeAll(async () => {
    srv = await startApiServer(options);
  });
  afterAll(async () => {
    await srv?.stop();
  });
  return () => srv!;
}
