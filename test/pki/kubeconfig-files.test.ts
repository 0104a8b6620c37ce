import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  addToKubeconfig,
  createCa,
  issueAdminCertificate,
  kubeconfigDefaultFile,
  kubeconfigPrecedence,
  removeFromKubeconfig,
  renderKubeconfig,
} from '../../src/pki/index.js';

const ca = createCa({ cluster: 'demo' });
const admin = issueAdminCertificate(ca);
const root = mkdtempSync(join(tmpdir(), `tugboat-kubecfg-files-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const render = (cluster: string) =>
  renderKubeconfig({
    cluster,
    server: 'https://127.0.0.1:6443',
    caPem: ca.certPem,
    user: 'admin',
    certPem: admin.certPem,
    keyPem: admin.keyPem,
  });

/** A hand-written kubeconfig with comments, an unknown field and its own current context. */
const THEIRS = `# my clusters: do not lose this comment
apiVersion: v1
kind: Config
clusters:
  - name: theirs # the prod cluster
    cluster:
      server: https://127.0.0.5:6443
users:
  - name: me
    user:
      token: secret-token
contexts:
  - name: theirs
    context:
      cluster: theirs
      user: me
current-context: theirs
preferences: {}
x-unknown-field: kept
`;

let dir: string;
let n = 0;
beforeEach(() => {
  dir = join(root, String(n++));
  execFileSync('mkdir', ['-p', dir]);
});

const kubectl = (kubeconfig: string, ...args: string[]) =>
  execFileSync('kubectl', ['config', ...args], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: kubeconfig },
  }).trim();

describe('where kubectl writes', () => {
  it('takes the first $KUBECONFIG file that exists, else the last, as kubectl does', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((f) => join(dir, f)) as [string, string, string];
    const env = { KUBECONFIG: `${a}::${b}:${c}:${a}` };
    expect(kubeconfigPrecedence({ env, home: '/h' })).toEqual([a, b, c]);
    expect(kubeconfigDefaultFile({ env, home: '/h' })).toBe(c);
    writeFileSync(b, '');
    expect(kubeconfigDefaultFile({ env, home: '/h' })).toBe(b);
    expect(kubeconfigDefaultFile({ env: { KUBECONFIG: a }, home: '/h' })).toBe(a);
    expect(kubeconfigDefaultFile({ env: {}, home: '/h' })).toBe('/h/.kube/config');
    expect(kubeconfigDefaultFile({ explicit: 'x/k', env, home: '/h', cwd: '/w' })).toBe('/w/x/k');
    // The same file real kubectl picks for a new entry.
    kubectl(env.KUBECONFIG, 'set-cluster', 'probe', '--server=https://127.0.0.1:1');
    expect(readFileSync(b, 'utf8')).toContain('probe');
    expect(existsSync(a) || existsSync(c)).toBe(false);
  });
});

describe('addToKubeconfig and removeFromKubeconfig', () => {
  it('adds to the first existing file of two, keeps comments and unknown fields, and restores the context on remove', () => {
    const missing = join(dir, 'missing');
    const mine = join(dir, 'mine');
    writeFileSync(mine, THEIRS);
    const list = `${missing}:${mine}`;
    const added = addToKubeconfig({ env: { KUBECONFIG: list }, home: '/h' }, render('demo'));
    expect(added).toEqual({ file: mine, context: 'demo', current: true });
    expect(existsSync(missing)).toBe(false);
    const text = readFileSync(mine, 'utf8');
    expect(text).toContain('# my clusters: do not lose this comment');
    expect(text).toContain('# the prod cluster');
    expect(text).toContain('x-unknown-field: kept');
    expect(kubectl(list, 'current-context')).toBe('demo');
    expect(kubectl(list, 'get-contexts', '-o', 'name').split('\n').sort()).toEqual(['demo', 'theirs']);
    // kubectl rewrites the file on use-context and keeps tugboat's context extension.
    kubectl(list, 'use-context', 'theirs');
    kubectl(list, 'use-context', 'demo');
    const context = parse(readFileSync(mine, 'utf8')).contexts.find(
      (c: { name: string }) => c.name === 'demo',
    );
    expect(context.context.extensions).toEqual([
      { name: 'tugboat', extension: { 'previous-context': 'theirs' } },
    ]);

    const removed = removeFromKubeconfig({ env: { KUBECONFIG: list }, home: '/h' }, 'demo');
    expect(removed).toEqual({ files: [mine], removed: true, restoredContext: 'theirs' });
    expect(kubectl(list, 'current-context')).toBe('theirs');
    const after = parse(readFileSync(mine, 'utf8'));
    expect(after.clusters.map((c: { name: string }) => c.name)).toEqual(['theirs']);
    expect(after.users.map((c: { name: string }) => c.name)).toEqual(['me']);
    expect(after.contexts.map((c: { name: string }) => c.name)).toEqual(['theirs']);
    expect(readdirSync(dir).sort()).toEqual(['mine']);
  });

  it('leaves current-context alone when the user switched away, or with switchContext: false', () => {
    const file = join(dir, 'config');
    writeFileSync(file, THEIRS);
    const at = { explicit: file, env: {}, home: '/h' };
    expect(addToKubeconfig(at, render('quiet'), { switchContext: false }).current).toBe(false);
    expect(kubectl(file, 'current-context')).toBe('theirs');
    addToKubeconfig(at, render('demo'));
    kubectl(file, 'use-context', 'quiet');
    expect(removeFromKubeconfig(at, 'demo')).toEqual({ files: [file], removed: true });
    expect(kubectl(file, 'current-context')).toBe('quiet');
    expect(removeFromKubeconfig(at, 'quiet').restoredContext).toBeNull();
    expect(parse(readFileSync(file, 'utf8'))['current-context']).toBeUndefined();
    expect(removeFromKubeconfig(at, 'quiet')).toEqual({ files: [], removed: false });
  });

  it('remembers the context from before the first add when added again, and unsets a previous that is gone', () => {
    const file = join(dir, 'config');
    writeFileSync(file, THEIRS);
    const at = { explicit: file, env: {}, home: '/h' };
    addToKubeconfig(at, render('demo'));
    addToKubeconfig(at, render('demo'));
    expect(removeFromKubeconfig(at, 'demo').restoredContext).toBe('theirs');
    addToKubeconfig(at, render('demo'));
    kubectl(file, 'delete-context', 'theirs');
    expect(removeFromKubeconfig(at, 'demo').restoredContext).toBeNull();
  });

  it('leaves a context of the same name that tugboat did not write, and shared users', () => {
    const file = join(dir, 'config');
    writeFileSync(file, THEIRS.replaceAll('theirs', 'demo'));
    const before = readFileSync(file, 'utf8');
    expect(removeFromKubeconfig({ explicit: file, env: {}, home: '/h' }, 'demo')).toEqual({
      files: [],
      removed: false,
    });
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses a file that is not YAML without touching it', () => {
    const file = join(dir, 'config');
    writeFileSync(file, 'clusters: [\n');
    expect(() => addToKubeconfig({ explicit: file, env: {}, home: '/h' }, render('demo'))).toThrow(
      expect.objectContaining({ code: 'KUBECONFIG_INVALID', exitCode: 5 }),
    );
    expect(readFileSync(file, 'utf8')).toBe('clusters: [\n');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});

describe('the kubeconfig lock', () => {
  it('waits for a lock another writer releases, and names a stale one after the timeout', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, THEIRS);
    writeFileSync(`${file}.lock`, '');
    const at = { explicit: file, env: {}, home: '/h' };
    expect(() => addToKubeconfig(at, render('demo'), { lockTimeoutMs: 200 })).toThrow(
      expect.objectContaining({
        code: 'KUBECONFIG_LOCKED',
        message: expect.stringContaining(`open ${file}.lock: file exists`),
      }),
    );
    expect(kubectl(file, 'current-context')).toBe('theirs');
    // Another process holds the lock for 300 ms, as a concurrent kubectl would.
    const holder = spawn('sh', ['-c', `sleep 0.3; rm -f '${file}.lock'`], { stdio: 'ignore' });
    const exited = new Promise((r) => holder.once('exit', r));
    addToKubeconfig(at, render('demo'), { lockTimeoutMs: 5_000 });
    await exited;
    expect(kubectl(file, 'current-context')).toBe('demo');
    expect(existsSync(`${file}.lock`)).toBe(false);
    // kubectl refuses while tugboat's lock would be held: the same lock file.
    writeFileSync(`${file}.lock`, '');
    expect(() => kubectl(file, 'use-context', 'theirs')).toThrow(/file exists/);
    rmSync(`${file}.lock`);
  });
});
