import { describe, expect, it } from 'vitest';
import { useKubectlServer } from '../../support/kubectl-server.js';

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: doodads.api-explain.example.com}
spec:
  group: api-explain.example.com
  scope: Namespaced
  names: {plural: doodads, singular: doodad, kind: Doodad}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        description: Doodad is a thing for the explain test.
        type: object
        properties:
          spec:
            description: DoodadSpec is what the user wants.
            type: object
            required: [size]
            properties:
              size: {description: How big the doodad is., type: integer, minimum: 1}
              ports:
                description: Ports it listens on.
                type: array
                items:
                  type: object
                  properties:
                    port: {description: The port number., type: integer}
  - name: v2
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              color: {description: The colour of a v2 doodad., type: string}
`;

// kubectl explain walks the CRD's schema through /openapi/v3 (kubectl 1.27+'s default).
describe.each(['33', '30'])('kubectl %s explain on a custom resource', (minor) => {
  const { ok, kubectl } = useKubectlServer(minor);

  it('explains the resource and its fields, per served version', async () => {
    await ok(['apply', '-f', '-'], crd);
    await ok([
      'wait',
      '--for',
      'condition=established',
      '--timeout=20s',
      'crd/doodads.api-explain.example.com',
    ]);
    const top = await ok(['explain', 'doodads']);
    expect(top).toMatch(/^GROUP:\s+api-explain\.example\.com\nKIND:\s+Doodad\nVERSION:\s+v1\n/);
    expect(top).toContain('DESCRIPTION:\n    Doodad is a thing for the explain test.');
    expect(top).toMatch(/^ {2}metadata\t<ObjectMeta>$/m);
    expect(top).toMatch(/^ {2}spec\t<Object>\n {4}DoodadSpec is what the user wants\.$/m);

    const spec = await ok(['explain', 'doodads.spec']);
    expect(spec).toContain('FIELD: spec <Object>');
    expect(spec).toMatch(/^ {2}ports\t<\[\]Object>\n {4}Ports it listens on\.$/m);
    expect(spec).toMatch(/^ {2}size\t<integer> -required-\n {4}How big the doodad is\.$/m);
    expect(await ok(['explain', 'doodad.spec.ports.port'])).toMatch(
      /FIELD: port <integer>\n+DESCRIPTION:\n {4}The port number\./,
    );
    expect(await ok(['explain', 'doodads.metadata.name'])).toContain('FIELD: name <string>');

    const v2 = await ok(['explain', 'doodads.spec', '--api-version=api-explain.example.com/v2']);
    expect(v2).toMatch(/^VERSION:\s+v2$/m);
    expect(v2).toMatch(/^ {2}color\t<string>\n {4}The colour of a v2 doodad\.$/m);

    const missing = await kubectl(['explain', 'doodads.spec.nope']);
    expect([missing.code, missing.stderr]).toEqual([1, 'error: field "nope" does not exist\n']);

    // A changed schema shows at once (the document's URL hash changes, so kubectl's cache misses).
    await ok(
      ['apply', '-f', '-'],
      crd.replace(
        '              ports:',
        '              weight: {description: Grams., type: number}\n              ports:',
      ),
    );
    let after = '';
    for (let i = 0; i < 50 && !after.includes('weight'); i++) {
      after = await ok(['explain', 'doodads.spec']);
      if (!after.includes('weight')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(after).toMatch(/^ {2}weight\t<number>\n {4}Grams\.$/m);
  });
});
