import { describe, expect, it } from 'vitest';
import { jsonCaller } from '../../support/json-call.js';
import { useApiServer } from '../../support/use-api-server.js';

/** A CRD whose rules use the quantity, URL, CIDR and regex libraries, through a real API server. */
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const BASE = '/apis/cellib.example.com/v1/namespaces/default/gateways';

// biome-ignore lint/suspicious/noExplicitAny: CRD bodies and API answers in tests are free-form JSON
type Json = any;

const spec: Json = {
  type: 'object',
  'x-kubernetes-validations': [
    {
      rule: 'quantity(self.limit).compareTo(quantity(self.request)) >= 0',
      message: 'limit must be at least request',
    },
    {
      rule: "isURL(self.endpoint) && url(self.endpoint).getScheme() == 'https'",
      message: 'endpoint must be an https URL',
    },
    {
      rule: 'cidr(self.range).containsIP(self.address)',
      messageExpression: "'address ' + self.address + ' is outside ' + string(cidr(self.range).masked())",
    },
    { rule: "self.name.find('[0-9]+') != ''", message: 'name must contain a number', fieldPath: '.name' },
  ],
  properties: {
    limit: { type: 'string' },
    request: { type: 'string' },
    endpoint: { type: 'string' },
    range: {
      type: 'string',
      'x-kubernetes-validations': [{ rule: 'isCIDR(self)', message: 'must be a CIDR' }],
    },
    address: { type: 'string' },
    name: { type: 'string' },
  },
};

const crd: Json = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gateways.cellib.example.com' },
  spec: {
    group: 'cellib.example.com',
    scope: 'Namespaced',
    names: { plural: 'gateways', kind: 'Gateway' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec } } },
      },
    ],
  },
};

const good = {
  limit: '1Gi',
  request: '512Mi',
  endpoint: 'https://api.example.com:8443/v1',
  range: '10.0.0.0/8',
  address: '10.1.2.3',
  name: 'gw-1',
};

const server = useApiServer();
const call = jsonCaller(() => server().url);

function gateway(name: string, s: Json) {
  return { apiVersion: 'cellib.example.com/v1', kind: 'Gateway', metadata: { name }, spec: s };
}

async function established(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const got = await call('GET', `${CRDS}/gateways.cellib.example.com`);
    if (got.body.status?.conditions?.some((c: Json) => c.type === 'Established' && c.status === 'True'))
      return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('gateways not established');
}

describe('Kubernetes CEL libraries over the API', () => {
  it('creates a valid object and refuses each violated rule with its message', async () => {
    const created = await call('POST', CRDS, crd);
    expect(created.status).toBe(201);
    await established();

    expect((await call('POST', BASE, gateway('ok', good))).status).toBe(201);

    const low = await call('POST', BASE, gateway('low', { ...good, limit: '256Mi' }));
    expect(low.status).toBe(422);
    expect(low.body).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      message:
        'Gateway.cellib.example.com "low" is invalid: spec: Invalid value: "object": limit must be at least request',
      details: { causes: [{ reason: 'FieldValueInvalid', field: 'spec' }] },
    });

    const http = await call('POST', BASE, gateway('http', { ...good, endpoint: 'http://api.example.com' }));
    expect(http.status).toBe(422);
    expect(http.body.message).toContain('endpoint must be an https URL');

    const outside = await call('POST', BASE, gateway('out', { ...good, address: '192.168.0.1' }));
    expect(outside.status).toBe(422);
    expect(outside.body.message).toContain('address 192.168.0.1 is outside 10.0.0.0/8');

    const noNumber = await call('POST', BASE, gateway('nonum', { ...good, name: 'gw' }));
    expect(noNumber.status).toBe(422);
    expect(noNumber.body.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.name',
        message: 'Invalid value: "object": name must contain a number',
      },
    ]);
  });

  it('refuses a CRD whose rule has a literal pattern that does not compile', async () => {
    const bad = structuredClone(crd);
    bad.metadata.name = 'badres.cellib.example.com';
    bad.spec.names = { plural: 'badres', kind: 'BadRe' };
    bad.spec.versions[0].schema.openAPIV3Schema.properties.spec = {
      ...spec,
      'x-kubernetes-validations': [{ rule: "self.name.find('[') == ''" }],
    };
    const res = await call('POST', CRDS, bad);
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule',
        message:
          "Invalid value: \"self.name.find('[') == ''\": program instantiation failed: error parsing regexp: missing closing ]: `[`",
      },
    ]);
  });

  it('answers bad library input with the upstream runtime error as a 422, and keeps serving', async () => {
    const bad = await call('POST', BASE, gateway('bad', { ...good, limit: 'lots', range: '10.0.0.0/99' }));
    expect(bad.status).toBe(422);
    const messages = bad.body.details.causes.map((c: Json) => `${c.field}: ${c.message}`);
    expect(messages).toContain('spec.range: Invalid value: "10.0.0.0/99": must be a CIDR');
    expect(messages.join('\n')).toContain(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' evaluating rule: limit must be at least request",
    );
    expect(messages.join('\n')).toContain(
      'network address "10.0.0.0/99" parse error during conversion from string',
    );
    expect((await call('GET', `${BASE}/ok`)).status).toBe(200);
  });
});
