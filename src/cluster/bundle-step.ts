import type { AwsClients } from '../aws/clients.js';
import type { HostBundle } from '../bootstrap/control-plane-install.js';
import { loadHostBundle } from '../bootstrap/host-bundle.js';
import { type EventSink, runPhase } from '../events.js';
import { bundleParameters, templateTakesBundle, uploadHostBundle } from '../provision/bundle-upload.js';
import type { ClusterDefinition } from './types.js';

/**
 * Uploads the host bundle for instances to fetch at boot, before the stack is created or updated,
 * and returns the stack parameters naming it. `bundle` is the SSH bootstrap's (one bundle for both
 * paths); without one, the bundle `npm run build` wrote. No bundle at all (a spec-only checkout)
 * is not an error for the stack: its instances then stop at boot saying so, and a warning says it now.
 * Templates without the bundle parameters (hand-written ones) get nothing.
 */
export async function publishHostBundle(options: {
  readonly aws: AwsClients;
  readonly cluster: string;
  readonly definition: ClusterDefinition;
  readonly bundle: HostBundle | undefined;
  readonly events: EventSink;
}): Promise<Record<string, string>> {
  const { aws, cluster, events } = options;
  if (!templateTakesBundle(options.definition.template)) return {};
  let bundle = options.bundle;
  if (!bundle) {
    try {
      bundle = loadHostBundle();
    } catch (err) {
      events.emit({
        code: 'bundle.missing',
        level: 'warn',
        message: `${(err as Error).message}; until then, instances the auto-scaling groups launch do not install themselves`,
      });
      return bundleParameters(undefined);
    }
  }
  const chosen = bundle;
  const uploaded = await runPhase(events, 'bundle', 'host bundle in S3', () =>
    uploadHostBundle({ aws, cluster, bundle: chosen, events }),
  );
  return bundleParameters(uploaded);
}
