import { z } from 'zod';
import { clusterSpecSchema } from './schema.js';

/**
 * The JSON Schema of the cluster spec file (what a user may write, defaults shown), for editors:
 * `tugboat schema > tugboat.schema.json`, then point the YAML language server at it.
 */
export function buildClusterSpecJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(clusterSpecSchema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  return { ...schema, $id: 'https://tugboat.dev/schemas/cluster-v1alpha1.json', title: 'tugboat Cluster' };
}
