import { describe, expect, it } from 'vitest';
import {
  BOOT_TEMPLATE_CONTEXT,
  renderBootScript,
  USER_DATA_LIMIT,
  userDataSize,
} from '../../src/boot/user-data.js';
import { buildTemplate, PARAMETERS } from '../../src/provision/template/index.js';
import { EXAMPLES, loadExample } from '../support/examples.js';

const SUBS = new Set([
  'AWS::Region',
  PARAMETERS.bundleBucket,
  PARAMETERS.bundleSha256,
  PARAMETERS.bundleFile,
  PARAMETERS.nodeRegistry,
]);

/** The scripts of a template's launch templates, by logical id. */
function userData(name: (typeof EXAMPLES)[number]): Map<string, string> {
  const template = buildTemplate(loadExample(name), BOOT_TEMPLATE_CONTEXT);
  const out = new Map<string, string>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::EC2::LaunchTemplate') continue;
    const data = (r.Properties.LaunchTemplateData as { UserData?: { 'Fn::Base64': { 'Fn::Sub': string } } })
      .UserData;
    expect(data, `${id} has user-data`).toBeDefined();
    out.set(id, data!['Fn::Base64']['Fn::Sub']);
  }
  return out;
}

describe('boot script (user-data)', () => {
  it.each(EXAMPLES)(
    '%s: every launch template boots its own role, within 16 KB base64 with the longest values',
    (name) => {
      const scripts = userData(name);
      expect(scripts.size).toBe(1 + loadExample(name).workerGroups.length);
      for (const [id, script] of scripts) {
        const longest = script
          .replaceAll(`\${AWS::Region}`, 'ap-southeast-4')
          .replaceAll(`\${${PARAMETERS.bundleBucket}}`, 'b'.repeat(63))
          .replaceAll(`\${${PARAMETERS.bundleSha256}}`, 'f'.repeat(64))
          .replaceAll(`\${${PARAMETERS.bundleFile}}`, `tugboat-host-${'a'.repeat(16)}.mjs`)
          .replaceAll(`\${${PARAMETERS.nodeRegistry}}`, `https://${'m'.repeat(200)}`);
        expect(userDataSize(longest), id).toBeLessThan(USER_DATA_LIMIT);
        expect(script.startsWith('#!/bin/sh\n'), id).toBe(true);
        expect(script).toMatch(/^set -eu$/m);
        const role = id.startsWith('Master') ? 'master' : 'worker';
        expect(script).toMatch(new RegExp(`^role=${role}$`, 'm'));
      }
    },
  );

  it('references only the bundle parameters and the region through Fn::Sub', () => {
    for (const script of userData('three-az').values()) {
      const refs = [...script.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
      expect(refs.length).toBeGreaterThan(0);
      for (const r of refs) expect(SUBS.has(r), r).toBe(true);
    }
  });

  it('holds no secret: no key material, no credentials, nothing but names and hashes', () => {
    for (const script of userData('route53-eip').values()) {
      expect(script).not.toMatch(
        /PRIVATE KEY|BEGIN CERTIFICATE|AKIA[0-9A-Z]{12}|aws_secret|password|token=/i,
      );
      // Credentials are read from IMDS at run time, never written into the script.
      expect(script).toContain('/latest/meta-data/iam/security-credentials/');
    }
  });

  it('quotes literal values: a hostile group name stays one word', () => {
    const script = renderBootScript({
      cluster: 'c1',
      role: 'worker',
      group: "g'; rm -rf / #",
      region: { literal: 'us-east-1' },
      bucket: { sub: 'B' },
      sha256: { sub: 'S' },
      file: { sub: 'F' },
      registry: { literal: 'https://registry.npmjs.org' },
    });
    expect(script).toContain(`group='g'\\''; rm -rf / #'\n`);
    expect(script).not.toContain('rm -rf / #\n');
  });

  it('checks the SHA-256 of the bundle before running it and names the reason when it differs', () => {
    const script = [...userData('minimal').values()][0]!;
    const check = script.indexOf('[ "$got" = "$sha256" ]');
    const run = script.indexOf('"$node" "$bundle" "$@"');
    expect(check).toBeGreaterThan(0);
    expect(run).toBeGreaterThan(check);
    expect(script).toContain('refusing to run it');
  });

  it('a template without the boot context has no user-data (spec-only builders stay as they were)', () => {
    const t = buildTemplate(loadExample('minimal'));
    const lt = Object.values(t.Resources).find((r) => r.Type === 'AWS::EC2::LaunchTemplate')!;
    expect(lt.Properties.LaunchTemplateData).not.toHaveProperty('UserData');
  });
});
