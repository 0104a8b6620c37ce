import { describe, expect, it } from 'vitest';
import { useKubectlServer } from '../../support/kubectl-server.js';

const CRD_NAME = 'gadgets.api-crd-del.example.com';
const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${CRD_NAME}
spec:
  group: api-crd-del.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
`;

const gadget = (name: string, finalizers: string[] = []) => `apiVersion: api-crd-del.example.com/v1
kind: Gadget
metadata: {name: ${name}, finalizers: ${JSON.stringify(finalizers)}}
spec: {size: 1}
`;

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}

// Deleting a CRD as upstream's finalizer controller does: Terminating while its objects go (their
// finalizers honoured), creates refused meanwhile, then the CRD is gone.
describe('kubectl and the deletion of a CustomResourceDefinition', () => {
  const { ok, kubectl } = useKubectlServer('33', { customResourceResyncMs: 300 });
  const crdConditions = async (): Promise<Cond[]> =>
    JSON.parse(await ok(['get', 'crd', CRD_NAME, '-o', 'jsonpath={.status.conditions}']));

  it('keeps the CRD Terminating until objects with finalizers are gone, refusing new ones', async () => {
    await ok(['apply', '-f', '-'], crd);
    await ok(['wait', '--for', 'condition=established', '--timeout=20s', `crd/${CRD_NAME}`]);
    expect(await ok(['get', 'crd', CRD_NAME, '-o', 'jsonpath={.metadata.finalizers}'])).toBe(
      '["customresourcecleanup.apiextensions.k8s.io"]',
    );
    await ok(['create', '-f', '-'], gadget('g1'));
    await ok(['create', '-f', '-'], gadget('g2', ['api-crd-del.example.com/hold']));

    await ok(['delete', 'crd', CRD_NAME, '--wait=false']);
    let terminating: Cond | undefined;
    for (let i = 0; i < 100 && !terminating; i++) {
      terminating = (await crdConditions()).find((c) => c.type === 'Terminating');
      if (!terminating) await new Promise((r) => setTimeout(r, 100));
    }
    expect(terminating).toMatchObject({
      status: 'True',
      reason: 'InstanceDeletionInProgress',
      message: 'CustomResource deletion is in progress',
    });
    // The object without finalizers is gone; the held one waits with a deletionTimestamp.
    let names = '';
    for (let i = 0; i < 100 && names !== 'gadget.api-crd-del.example.com/g2\n'; i++) {
      names = await ok(['get', 'gadgets', '-o', 'name']);
      if (names !== 'gadget.api-crd-del.example.com/g2\n') await new Promise((r) => setTimeout(r, 100));
    }
    expect(names).toBe('gadget.api-crd-del.example.com/g2\n');
    expect(await ok(['get', 'gadget', 'g2', '-o', 'jsonpath={.metadata.deletionTimestamp}'])).not.toBe('');

    const refused = await kubectl(['create', '-f', '-'], gadget('g3'));
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      'Error from server (MethodNotAllowed): error when creating "STDIN": create not allowed while custom resource definition is terminating',
    );
    // Several resyncs later the CRD still waits for g2.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await crdConditions()).find((c) => c.type === 'Terminating')?.status).toBe('True');

    await ok(['patch', 'gadget', 'g2', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await ok(['wait', '--for=delete', `crd/${CRD_NAME}`, '--timeout=30s']);
    const gone = await kubectl(['get', 'gadgets']);
    expect(gone.stderr).toContain('the server could not find the requested resource');
  });
});
