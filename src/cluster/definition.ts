import { BOOT_TEMPLATE_CONTEXT } from '../boot/user-data.js';
import type { ClusterSpec } from '../config/types.js';
import {
  buildClusterSettings,
  buildTemplate,
  PARAMETERS,
  templateParameters,
} from '../provision/template/index.js';
import type { ClusterDefinition } from './types.js';

/**
 * Renders a validated spec into what the stack lifecycle deploys: the template and an explicit
 * value for every parameter (the key pair name is filled in by create/update).
 */
export function buildClusterDefinition(spec: ClusterSpec): ClusterDefinition {
  const settings = buildClusterSettings(spec);
  const parameters: Record<string, string> = {};
  for (const p of templateParameters(spec, { keyName: '' })) parameters[p.ParameterKey] = p.ParameterValue;
  return {
    name: spec.name,
    template: buildTemplate(spec, BOOT_TEMPLATE_CONTEXT),
    parameters,
    keyNameParameter: PARAMETERS.keyName,
    ...(spec.ssh.publicKeyFile ? { publicKeyFile: spec.ssh.publicKeyFile } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
    eipGroups: settings.eipGroups,
    settings,
  };
}
