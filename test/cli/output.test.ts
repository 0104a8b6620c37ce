import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXIT_BUG, EXIT_USAGE } from '../../src/cli/program.js';
import { EXIT_DECLINED } from '../../src/cli/support/context.js';
import { jsonLineEvents } from '../../src/cli/support/event-lines.js';
import { EXIT_TIMEOUT } from '../../src/cli/support/timeout.js';
import { AbortError, DeploymentError, RemoteCommandError, UsageError } from '../../src/errors.js';
import { EXIT_KUBECONFIG } from '../../src/pki/index.js';
import { runCli } from '../support/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), `tugboat-kubecfg-output-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = {
  ...process.env,
  TUGBOAT_STATE_DIR: join(dir, 'state'),
  KUBECONFIG: join(dir, 'kube', 'config'),
};

describe('--output json|yaml', () => {
  it('gives the same result as JSON and as YAML', async () => {
    const spec = join(ROOT, 'examples', 'minimal.yaml');
    const json = await runCli(['-o', 'json', 'validate', '-f', spec], { env });
    const yaml = await runCli(['validate', '-f', spec, '-o', 'yaml'], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(yaml.stdout.trimStart().startsWith('{')).toBe(false);
    expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
    const schema = await runCli(['-o', 'yaml', 'schema'], { env });
    expect(parse(schema.stdout).properties).toHaveProperty('workerGroups');
    const template = await runCli(['-o', 'yaml', 'template', '-f', spec], { env });
    expect(parse(template.stdout)).toHaveProperty('Resources');
  });

  it('prints errors as a result: a tugboat error, an unexpected one, and a usage error', async () => {
    const missing = await runCli(['-o', 'json', 'validate', '-f', join(dir, 'nope.yaml')], { env });
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ exitCode: 2, code: expect.any(String) });

    // A kubeconfig path that is a directory: not an error tugboat expects, so a bug report (exit 1).
    mkdirSync(join(dir, 'state', 'odd', 'kubeconfig'), { recursive: true });
    const odd = await runCli(['-o', 'json', 'kubeconfig', 'odd'], { env });
    expect(odd.code).toBe(EXIT_BUG);
    expect(JSON.parse(odd.stdout)).toEqual({
      error: { code: 'INTERNAL', message: expect.stringContaining('EISDIR'), exitCode: 1 },
    });
    expect(odd.stderr).toContain('looks like a bug in tugboat');

    const usage = await runCli(['-o', 'yaml', 'create'], { env });
    expect(usage.code).toBe(EXIT_USAGE);
    expect(parse(usage.stdout)).toEqual({
      error: { code: 'USAGE', message: expect.stringContaining("'-f, --file <path>'"), exitCode: 2 },
    });
    const text = await runCli(['create'], { env });
    expect(text.stdout).toBe('');
  });
});

describe('--output on the commands that print a document, a script or a stream', () => {
  it('init: -o yaml is the commented spec, -o json the same document as JSON', async () => {
    const text = await runCli(['init', 'habits-o'], { env });
    const yaml = await runCli(['-o', 'yaml', 'init', 'habits-o'], { env });
    const json = await runCli(['init', 'habits-o', '-o', 'json'], { env });
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(json.code, json.stderr).toBe(0);
    expect(yaml.stdout).toBe(text.stdout);
    expect(yaml.stdout).toMatch(/^# /m);
    const doc = JSON.parse(json.stdout);
    expect(doc).toEqual(parse(text.stdout));
    expect(doc.name).toBe('habits-o');
  });

  it('kubeconfig --print: -o json is the kubeconfig as JSON, -o yaml as it is', async () => {
    const kubeconfig = [
      '# the cluster admin',
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: habits-kc',
      '  cluster: {server: "https://127.0.0.1:6443"}',
      'contexts: []',
      'users: []',
      'current-context: ""',
      '',
    ].join('\n');
    mkdirSync(join(dir, 'state', 'habits-kc'), { recursive: true });
    writeFileSync(join(dir, 'state', 'habits-kc', 'kubeconfig'), kubeconfig, { mode: 0o600 });
    const yaml = await runCli(['-o', 'yaml', 'kubeconfig', 'habits-kc', '--print'], { env });
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(yaml.stdout).toBe(kubeconfig);
    const json = await runCli(['-o', 'json', 'kubeconfig', 'habits-kc', '--print'], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(parse(kubeconfig));
    expect(JSON.parse(json.stdout).clusters[0].cluster.server).toBe('https://127.0.0.1:6443');
  });

  it.each([
    [['completion', 'bash'], 'completion prints a shell script'],
    [['ssh', 'habits-none', '--', 'true'], "ssh passes the remote command's output and exit code through"],
    [['agent'], 'agent runs the node agent until stopped'],
    [['control-plane'], 'control-plane runs the control plane until stopped'],
  ])(
    '%j refuses -o json|yaml with a usage error, as kubectl does, and touches nothing',
    async (args, why) => {
      for (const format of ['json', 'yaml']) {
        const r = await runCli(['-o', format, ...args], { env });
        expect(r.code).toBe(EXIT_USAGE);
        const err = (format === 'json' ? JSON.parse(r.stdout) : parse(r.stdout)).error;
        expect(err).toEqual({ code: 'USAGE', message: expect.stringContaining(why), exitCode: 2 });
        expect(err.message).toContain('it has no --output json|yaml form');
      }
      const text = await runCli(['completion', 'bash'], { env });
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('complete');
    },
  );
});

describe('--progress json', () => {
  it('writes one JSON object per event, with debug events only when asked', () => {
    const lines: string[] = [];
    const sink = jsonLineEvents((t) => lines.push(t), false);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    sink.emit({ code: 'phase.start', level: 'info', message: 'create stack', data: { phase: 'stack' } });
    sink.emit({ code: 'x.debug', level: 'debug', message: 'hidden' });
    sink.emit({ code: 'odd', level: 'warn', message: 'kept', data: circular });
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed).toEqual([
      {
        time: expect.any(String),
        level: 'info',
        code: 'phase.start',
        message: 'create stack',
        data: { phase: 'stack' },
      },
      { time: expect.any(String), level: 'warn', code: 'odd', message: 'kept' },
    ]);
  });
});

describe('exit codes', () => {
  it('are the ones the README lists', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('## Config reference'));
    const documented = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    const used = [
      0,
      EXIT_BUG,
      EXIT_USAGE,
      new UsageError('x').exitCode,
      new DeploymentError('X', 'x').exitCode,
      new RemoteCommandError({ host: 'h', step: 's', exitCode: 1, stderrTail: '' }).exitCode,
      EXIT_KUBECONFIG,
      EXIT_TIMEOUT,
      new AbortError().exitCode,
      EXIT_DECLINED,
    ];
    expect(documented.sort((a, b) => a - b)).toEqual([...new Set(used)].sort((a, b) => a - b));
  });
});
