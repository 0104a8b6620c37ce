import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClusterSpec } from '../src/config/index.js';
import {
  CLUSTER_NAME_MAX,
  checkClusterName,
  clusterStateDir,
  keyPairName,
  localStateDir,
  stackNameOf,
  stateRoot,
} from '../src/naming.js';

describe('naming', () => {
  it('derives the stack and key pair names from the cluster name', () => {
    expect(stackNameOf('demo')).toBe('tugboat-demo');
    expect(keyPairName('demo')).toBe('tugboat-demo');
  });

  it('accepts what the README documents (DNS-safe, at most 32 characters) and nothing else', () => {
    expect(CLUSTER_NAME_MAX).toBe(32);
    expect(checkClusterName('a')).toBe('a');
    expect(checkClusterName(`a${'b'.repeat(31)}`)).toHaveLength(32);
    for (const bad of [`a${'b'.repeat(32)}`, 'Demo', '1demo', 'demo-', 'de_mo', '']) {
      expect(() => checkClusterName(bad), bad).toThrow(/at most 32 lowercase letters/);
    }
  });

  it('is the same rule the spec schema applies', () => {
    const spec = (name: string) =>
      `apiVersion: tugboat.dev/v1\nkind: Cluster\nname: ${name}\nregion: us-east-1\nworkerGroups: [{name: w, instanceType: t3.small, min: 1, max: 1, desired: 1}]\n`;
    for (const name of ['a', 'b'.repeat(32), 'b'.repeat(33), 'demo-']) {
      let schemaOk = true;
      try {
        parseClusterSpec(spec(name), 'x.yaml');
      } catch (err) {
        schemaOk = !String(err).includes('name');
      }
      let ruleOk = true;
      try {
        checkClusterName(name);
      } catch {
        ruleOk = false;
      }
      expect(schemaOk, name).toBe(ruleOk);
    }
  });

  it('reads the state root from TUGBOAT_STATE_DIR, then the deprecated TUGBOAT_HOME with a warning, then ~/.tugboat', () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(stateRoot({ TUGBOAT_STATE_DIR: '/s', TUGBOAT_HOME: '/h', HOME: '/home/u' }, warn)).toBe('/s');
    expect(warnings).toEqual([]);
    expect(stateRoot({ TUGBOAT_HOME: '/h', HOME: '/home/u' }, warn)).toBe('/h');
    expect(warnings).toEqual(['TUGBOAT_HOME is deprecated: set TUGBOAT_STATE_DIR=/h instead']);
    expect(stateRoot({ HOME: '/home/u' }, warn)).toBe(join('/home/u', '.tugboat'));
    expect(clusterStateDir('demo', '/s')).toBe('/s/demo');
    expect(localStateDir({ TUGBOAT_STATE_DIR: '/s' })).toBe('/s/local');
    expect(localStateDir({ TUGBOAT_HOME: '/h' })).toBe('/h/local');
  });
});
