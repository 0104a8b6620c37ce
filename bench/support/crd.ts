/** What the CRD benches share: a CRD manifest around a schema, and a JSON POST. */

/** One served version of a CRD. */
export interface BenchCrdVersion {
  readonly name: string;
  readonly storage: boolean;
  readonly schema: Record<string, unknown>;
  readonly extra?: Record<string, unknown>;
}

/** A namespaced CustomResourceDefinition `PLURAL.GROUP` of kind `K<plural>`. */
export function benchCrd(
  group: string,
  plural: string,
  versions: readonly BenchCrdVersion[],
): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, kind: `K${plural}` },
      versions: versions.map((v) => ({
        name: v.name,
        served: true,
        storage: v.storage,
        ...v.extra,
        schema: { openAPIV3Schema: v.schema },
      })),
    },
  };
}

/** POSTs `body` as JSON; the answer's status code (the body is read and dropped). */
export async function postJson(url: string, body: unknown): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}
