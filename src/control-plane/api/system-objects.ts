import type { UntypedObject } from '../../kube/index.js';
import { buildLocalPathClass } from '../../kube/local-path.js';
import { findResource } from '../registry/index.js';
import type { ApiContext } from './context.js';
import { ApiError } from './status.js';
import { createObject, ensureDefaultServiceAccount } from './write.js';

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Creates what every cluster has before the server answers: the system namespaces with their
 * default ServiceAccounts, and the default StorageClass.
 */
export async function ensureSystemObjects(ctx: ApiContext): Promise<void> {
  const nsDef = findResource('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    if (!(await ctx.resources.get(nsDef, undefined, name))) {
      await createObject(ctx, nsDef, undefined, { metadata: { name } }).catch((err: unknown) => {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      });
    }
    await ensureDefaultServiceAccount(ctx, name);
  }
  await ensureLocalPathClass(ctx);
}

/**
 * Creates the default `local-path` StorageClass when no class of that name exists (an admin may
 * change which class is the default by annotation; a deleted class comes back at the next start).
 */
async function ensureLocalPathClass(ctx: ApiContext): Promise<void> {
  const def = findResource('storage.k8s.io', 'v1', 'storageclasses')!;
  const cls = buildLocalPathClass();
  if (await ctx.resources.get(def, undefined, cls.metadata.name ?? '')) return;
  await createObject(ctx, def, undefined, cls as unknown as UntypedObject).catch((err: unknown) => {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  });
}
