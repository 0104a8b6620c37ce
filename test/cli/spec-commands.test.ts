import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseClusterSpec } from '../../src/config/index.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-cli-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tugboat init', () => {
  it('prints a commented example that validates', async () => {
    const run = await runCli(['init', 'demo', '--region', 'eu-west-1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^# yaml-language-server: \$schema=\.\/tugboat\.schema\.json\n# tugboat cluster spec/,
    );
    const spec = parseClusterSpec(run.stdout);
    expect(spec).toMatchObject({
      name: 'demo',
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    });
  });

  it('writes --file and refuses to overwrite without --force', async () => {
    const file = join(dir, 'init.yaml');
    expect((await runCli(['init', 'one', '-f', file])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('name: one ');
    const again = await runCli(['init', 'two', '-f', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists: pass --force');
    expect(readFileSync(file, 'utf8')).toContain('name: one ');
    expect((await runCli(['init', 'two', '-f', file, '--force'])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('name: two ');
  });

  it('rejects a name that is not DNS-safe', async () => {
    const run = await runCli(['init', 'Bad_Name']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('name: must be lowercase letters');
  });
});

describe('tugboat validate', () => {
  it('summarises a valid spec', async () => {
    const run = await runCli(['validate', '-f', 'examples/three-az.yaml']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('examples/three-az.yaml is valid: cluster three-az in eu-west-1');
    expect(run.stdout).toContain('1 master (store etcd), 3 worker group(s)');
  });

  it('counts the masters of a spec with several, on etcd', async () => {
    const run = await runCli(['--output', 'json', 'validate', '-f', 'examples/ha-masters.yaml']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ valid: true, masters: 3, store: 'etcd' });
    const text = await runCli(['validate', '-f', 'examples/ha-masters.yaml']);
    expect(text.stdout).toContain(
      '(us-west-2a, us-west-2b, us-west-2c), 3 masters (store etcd), 1 worker group(s)',
    );
  });

  it('exits 2 and gives the issues as json', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, readFileSync('examples/minimal.yaml', 'utf8').replace('desired: 2', 'desired: 9'));
    const run = await runCli(['--output', 'json', 'validate', '-f', file]);
    expect(run.code).toBe(2);
    const out = JSON.parse(run.stdout) as { valid: boolean; issues: { path: string; message: string }[] };
    expect(out.valid).toBe(false);
    expect(out.issues).toEqual([
      {
        path: 'workerGroups[0].desired',
        message: 'desired (9) is above max (3): raise max or lower desired (line 14)',
      },
    ]);
    expect(run.stderr).toContain('workerGroups[0].desired: desired (9) is above max (3)');
  });

  it('explains a missing file', async () => {
    const run = await runCli(['validate', '-f', join(dir, 'missing.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot read');
  });
});

describe('tugboat template and schema', () => {
  it('prints the template as json and yaml', async () => {
    const json = await runCli(['template', '-f', 'examples/minimal.yaml']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).AWSTemplateFormatVersion).toBe('2010-09-09');
    const yaml = await runCli(['template', '-f', 'examples/minimal.yaml', '--format', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain('Type: AWS::AutoScaling::AutoScalingGroup');
  });

  it('refuses an invalid spec before building anything', async () => {
    const file = join(dir, 'bad-template.yaml');
    writeFileSync(file, readFileSync('examples/minimal.yaml', 'utf8').replace('us-east-1b', 'us-west-2b'));
    const run = await runCli(['template', '-f', file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('availabilityZones[1]: zone "us-west-2b" is not in region us-east-1');
  });

  it('prints a JSON Schema that rejects unknown keys', async () => {
    const run = await runCli(['schema']);
    expect(run.code).toBe(0);
    const schema = JSON.parse(run.stdout) as {
      properties: Record<string, unknown>;
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties)).toContain('workerGroups');
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('tugboat validate warnings', () => {
  it('warns about choices that are allowed but rarely meant, without failing', async () => {
    const run = await runCli(['validate', '-f', 'examples/route53-eip.yaml']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'warning: api.allowedCidrs: 0.0.0.0/0 lets the whole internet reach the api',
    );
    const json = await runCli(['-o', 'json', 'validate', '-f', 'examples/minimal.yaml']);
    expect(JSON.parse(json.stdout).warnings).toEqual([]);
  });
});
