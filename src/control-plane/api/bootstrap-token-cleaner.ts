import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  bootstrapTokenExpired,
} from '../auth/bootstrap-token.js';
import { findResource } from '../registry/index.js';
import type { ApiContext } from './context.js';
import { runPeriodicPass } from './periodic-pass.js';
import { ApiError } from './status.js';
import { deleteObject } from './write.js';

/**
 * kube-controller-manager's tokencleaner, run inside the API server so that no controller needs
 * to read Secrets: deletes bootstrap token Secrets in kube-system whose `expiration` has passed
 * (they no longer authenticate from that moment anyway). Returns the names deleted.
 */
export async function cleanExpiredBootstrapTokens(ctx: ApiContext): Promise<string[]> {
  const def = findResource('', 'v1', 'secrets')!;
  const deleted: string[] = [];
  let startKey: string | undefined;
  // Pages of 500, at most 100 pages a pass: a namespace with more waits for the next pass.
  for (let page = 0; page < 100; page++) {
    const list = await ctx.resources.list(def, BOOTSTRAP_TOKEN_NAMESPACE, { limit: 500, startKey });
    for (const secret of list.items) {
      const name = secret.metadata?.name ?? '';
      if ((secret as { type?: unknown }).type !== BOOTSTRAP_TOKEN_SECRET_TYPE) continue;
      if (!bootstrapTokenExpired(secret, ctx.now()) || secret.metadata?.deletionTimestamp) continue;
      try {
        await deleteObject(ctx, def, BOOTSTRAP_TOKEN_NAMESPACE, name, {
          preconditions: { uid: secret.metadata?.uid },
        });
        deleted.push(name);
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
      }
    }
    startKey = list.nextKey;
    if (!startKey) break;
  }
  return deleted;
}

/** Runs {@link cleanExpiredBootstrapTokens} every `intervalMs`; the returned function stops it. */
export function runBootstrapTokenCleaner(ctx: ApiContext, intervalMs = 10_000): () => Promise<void> {
  return runPeriodicPass(
    intervalMs,
    async () => {
      for (const name of await cleanExpiredBootstrapTokens(ctx))
        ctx.events.emit({
          code: 'api.bootstrap-token.expired',
          level: 'info',
          message: `deleted expired bootstrap token secret kube-system/${name}`,
          data: { name },
        });
    },
    (err) =>
      ctx.events.emit({
        code: 'api.bootstrap-token.cleaner-failed',
        level: 'warn',
        message: `bootstrap token cleaner: ${err.message}; retrying in ${intervalMs} ms`,
        data: {},
      }),
  );
}
