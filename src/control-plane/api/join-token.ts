import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_SECRET_PREFIX,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  parseBootstrapToken,
} from '../auth/bootstrap-token.js';
import { findResource } from '../registry/index.js';
import type { ApiContext } from './context.js';
import { runPeriodicPass } from './periodic-pass.js';
import { ApiError } from './status.js';
import { createObject, updateObject } from './write.js';

/** Label of the Secret this server keeps for the cluster's join token. */
export const JOIN_TOKEN_LABEL = 'tugboat.io/join-token';

/** The Secret data of a join token: authentication only, no expiration (as the instances that use it have none). */
function joinTokenData(id: string, secret: string): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return {
    'token-id': b64(id),
    'token-secret': b64(secret),
    'usage-bootstrap-authentication': b64('true'),
    description: b64(
      "tugboat's join token: instances its auto-scaling groups launch ask for their node certificate with it",
    ),
  };
}

/**
 * Keeps the Secret `kube-system/bootstrap-token-<id>` of the cluster's join token (the one the
 * stack gives workers in SSM), so an instance the auto-scaling group launches can authenticate
 * to ask for its node certificate: created when missing, put back when its secret, type or usage
 * differ. Written inside the API server, so no controller needs rights on Secrets. Returns what
 * it did.
 */
export async function ensureJoinTokenSecret(
  ctx: ApiContext,
  token: string,
): Promise<'created' | 'updated' | 'unchanged'> {
  const parsed = parseBootstrapToken(token);
  if (!parsed) throw new Error('the join token is not a bootstrap token (<6 of [a-z0-9]>.<16 of [a-z0-9]>)');
  const def = findResource('', 'v1', 'secrets')!;
  const name = `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${parsed.id}`;
  const data = joinTokenData(parsed.id, parsed.secret);
  const current = await ctx.resources.get(def, BOOTSTRAP_TOKEN_NAMESPACE, name);
  if (!current) {
    try {
      await createObject(ctx, def, BOOTSTRAP_TOKEN_NAMESPACE, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: BOOTSTRAP_TOKEN_NAMESPACE, labels: { [JOIN_TOKEN_LABEL]: 'true' } },
        type: BOOTSTRAP_TOKEN_SECRET_TYPE,
        data,
      });
      return 'created';
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) return 'unchanged';
      throw err;
    }
  }
  const c = current as { type?: unknown; data?: Record<string, unknown> };
  const same =
    c.type === BOOTSTRAP_TOKEN_SECRET_TYPE &&
    Object.entries(data).every(([k, v]) => k === 'description' || c.data?.[k] === v) &&
    c.data?.expiration === undefined;
  if (same) return 'unchanged';
  await updateObject(ctx, def, BOOTSTRAP_TOKEN_NAMESPACE, name, undefined, (obj) => ({
    ...obj,
    metadata: { ...obj.metadata, labels: { ...(obj.metadata?.labels ?? {}), [JOIN_TOKEN_LABEL]: 'true' } },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data,
  }));
  return 'updated';
}

/** Runs {@link ensureJoinTokenSecret} now and every `intervalMs`; the returned function stops it. */
export function runJoinTokenKeeper(ctx: ApiContext, token: string, intervalMs = 30_000): () => Promise<void> {
  const name = `${BOOTSTRAP_TOKEN_NAMESPACE}/${BOOTSTRAP_TOKEN_SECRET_PREFIX}${parseBootstrapToken(token)?.id ?? ''}`;
  return runPeriodicPass(
    intervalMs,
    async () => {
      const done = await ensureJoinTokenSecret(ctx, token);
      if (done !== 'unchanged')
        ctx.events.emit({
          code: 'api.join-token.ensured',
          level: 'info',
          message: `${done} the join token's Secret ${name}`,
          data: {},
        });
    },
    (err) =>
      ctx.events.emit({
        code: 'api.join-token.failed',
        level: 'warn',
        message: `join token Secret: ${err.message}; retrying in ${intervalMs} ms`,
        data: {},
      }),
  );
}
