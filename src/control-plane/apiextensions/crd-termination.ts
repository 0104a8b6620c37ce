import type { UntypedObject } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
import { type Condition, setCondition } from './crd-conditions.js';
import type { CrdHost } from './crd-controller.js';
import { buildCustomResources } from './custom-resource.js';
import { isObject } from './schema-types.js';

/** The finalizer that keeps a CRD until its objects are gone, as upstream. */
export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

function conditionsOf(crd: UntypedObject): Condition[] {
  const status = isObject(crd.status) ? crd.status : {};
  return (Array.isArray(status.conditions) ? status.conditions : []) as Condition[];
}

function isEstablished(crd: UntypedObject): boolean {
  return conditionsOf(crd).some((c) => c.type === 'Established' && c.status === 'True');
}

/**
 * The resource set of a CRD being deleted, marked `terminating` (creates answer 405) and still
 * served, so clients can read its objects and remove their finalizers. Undefined when the CRD was
 * never established (nothing of it can exist).
 */
function terminatingDefs(
  host: CrdHost,
  name: string,
  crd: UntypedObject,
): readonly ResourceDef[] | undefined {
  const current = host.catalog.registered(name);
  if (current?.[0]?.terminating) return current;
  if (!current && !isEstablished(crd)) return undefined;
  const defs = (current ?? buildCustomResources(crd)).map((d) => ({ ...d, terminating: true }));
  return host.catalog.register(name, defs) === undefined ? defs : undefined;
}

/**
 * One pass over a CRD that has a deletionTimestamp, as upstream's CRD finalizer controller: the
 * condition `Terminating=True` (InstanceDeletionInProgress) while its objects are deleted (their
 * own finalizers honoured: objects that still have some are waited for, pass after pass); then
 * `Terminating=False` (InstanceDeletionCompleted, or NeverEstablished), the resource is no longer
 * served, the cleanup finalizer is released and, with no finalizers left, the CRD is removed.
 * Resolves true when the CRD is done with (released), false when objects remain.
 */
export async function finalizeCrd(host: CrdHost, crd: UntypedObject): Promise<boolean> {
  const name = String(crd.metadata?.name);
  const now = `${host.now().toISOString().slice(0, 19)}Z`;
  const writeCondition = async (next: Condition, release: boolean) =>
    host.update(name, (cur) => {
      const before = JSON.stringify(cur.status ?? null);
      const status = isObject(cur.status) ? cur.status : {};
      cur.status = { ...status, conditions: setCondition(conditionsOf(cur), next, now) };
      if (release)
        cur.metadata = {
          ...cur.metadata,
          finalizers: (cur.metadata?.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER),
        };
      else if (JSON.stringify(cur.status) === before) return undefined;
      return cur;
    });
  let last: Condition;
  const defs = terminatingDefs(host, name, crd);
  if (!defs?.[0]) {
    last = {
      type: 'Terminating',
      status: 'False',
      reason: 'NeverEstablished',
      message: 'resource was never established',
    };
  } else {
    await writeCondition(
      {
        type: 'Terminating',
        status: 'True',
        reason: 'InstanceDeletionInProgress',
        message: 'CustomResource deletion is in progress',
      },
      false,
    );
    let emptied: boolean;
    try {
      emptied = await host.deleteInstances(defs[0]);
    } catch (err) {
      await writeCondition(
        {
          type: 'Terminating',
          status: 'True',
          reason: 'InstanceDeletionFailed',
          message: `could not issue all deletes: ${err instanceof Error ? err.message : String(err)}`,
        },
        false,
      );
      throw err;
    }
    if (!emptied) return false;
    last = {
      type: 'Terminating',
      status: 'False',
      reason: 'InstanceDeletionCompleted',
      message: 'removed all instances',
    };
  }
  const updated = await writeCondition(last, true);
  host.catalog.unregister(name);
  if (!(updated.metadata?.finalizers ?? []).length) await host.remove(updated);
  return true;
}
