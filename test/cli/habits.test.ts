import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudFormationClient, ListChangeSetsCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueAdminCertificate, renderKubeconfig, writeKeyFile } from '../../src/pki/index.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { writeTestSpec } from '../support/aws-spec.js';
import { runCli } from '../support/cli.js';

// The habits of AWS CLI, kubectl, eksctl and kind users, tried as they would: the real CLI in a
// child process, a real shell pipe, real bash completion, moto_server for AWS.

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = join(ROOT, 'test/support/cli-entry.ts');
/** The CLI as a shell command (from source through tsx, as `tugboat` would run from dist/). */
const TUGBOAT = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(ENTRY)}`;

let moto: Moto;
let dir: string;
let home: string;

/** A user's environment: a temp HOME, moto as the endpoint, no region or keys unless given. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    TUGBOAT_STATE_DIR: join(dir, 'state'),
    ...extra,
  };
  return env;
}

/** Runs a shell command line (with `tugboat` defined as a function) the way a user types it. */
function sh(script: string, env: NodeJS.ProcessEnv, input?: string) {
  const run = spawnSync('bash', ['-c', `tugboat() { ${TUGBOAT} "$@"; }\n${script}`], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 240_000,
    ...(input === undefined ? {} : { input }),
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(async () => {
  moto = await startMoto();
  dir = mkdtempSync(join(tmpdir(), `tugboat-habits-${process.pid}-`));
  home = join(dir, 'home');
  mkdirSync(join(home, '.aws'), { recursive: true });
  writeFileSync(
    join(home, '.aws', 'config'),
    '[default]\noutput = json\n\n[profile dev]\nregion = eu-west-1\n\n[profile noregion]\noutput = json\n',
  );
  writeFileSync(
    join(home, '.aws', 'credentials'),
    '[dev]\naws_access_key_id = test\naws_secret_access_key = test\n\n' +
      '[noregion]\naws_access_key_id = test\naws_secret_access_key = test\n',
  );
});

afterAll(async () => {
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('habits users bring', { timeout: 300_000 }, () => {
  it("takes the region from the AWS_PROFILE's ~/.aws/config, like the AWS CLI and eksctl", () => {
    const listed = sh('tugboat list -o json', userEnv({ AWS_PROFILE: 'dev' }));
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({ clusters: [] });
    const none = sh('tugboat list', userEnv({ AWS_PROFILE: 'noregion' }));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('set region in the "noregion" profile of ~/.aws/config');
  });

  it('reads the spec from a pipe with -f -', () => {
    const run = sh('tugboat init piped | tugboat validate -f - -o json', userEnv());
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ valid: true, name: 'piped' });
    const bad = sh('echo "kind: Nope" | tugboat template -f -', userEnv());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid cluster spec in <stdin>');
  });

  it('completes `tugboat de<TAB>` to delete in bash, from the sourced completion script', () => {
    const complete = (line: string) =>
      sh(
        `source <(tugboat completion bash)
read -r -a COMP_WORDS <<< ${JSON.stringify(line)}
[[ ${JSON.stringify(line)} == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
_tugboat
printf '%s\\n' "\${COMPREPLY[@]}"`,
        userEnv(),
      );
    const de = complete('tugboat de');
    expect(de.code, de.stderr).toBe(0);
    expect(de.stdout.trim()).toBe('delete');
    expect(complete('tugboat local ').stdout.trim().split('\n')).toEqual(['up', 'down']);
    expect(complete('tugboat -o ').stdout.trim().split('\n')).toEqual(['text', 'json', 'yaml']);
    expect(complete('tugboat create --fi').stdout.trim()).toBe('--file');
  });

  it('writes a spec whose first line points editors at the schema it writes next to it', () => {
    const spec = join(dir, 'editor', 'cluster.yaml');
    mkdirSync(join(dir, 'editor'));
    const run = sh(`tugboat init demo --file ${JSON.stringify(spec)}`, userEnv());
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(spec, 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=./tugboat.schema.json',
    );
    const schema = JSON.parse(readFileSync(join(dir, 'editor', 'tugboat.schema.json'), 'utf8'));
    expect(schema.properties).toHaveProperty('workerGroups');
  });

  it('prints the client version, and says when no server answers', () => {
    const run = sh('tugboat version -o json', userEnv({ KUBECONFIG: join(dir, 'none.yaml') }));
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.client.version).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    expect(out.serverError).toBe('no current kubectl context');
  });
});

describe('prompts: declining aborts, and a question without a terminal leaves nothing behind', () => {
  it('update without --yes and no terminal exits 2 and deletes the change set it made; a "no" exits 130', async () => {
    const env = userEnv({
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const spec = writeTestSpec(dir, { name: 'asked', desired: 1 });
    const created = sh(`tugboat create -f - --no-bootstrap < ${JSON.stringify(spec)}`, env);
    expect(created.code, created.stderr).toBe(0);
    const respec = writeTestSpec(join(dir, 'editor'), { name: 'asked', desired: 2 });

    const noTty = sh(`tugboat update -f ${JSON.stringify(respec)} --no-bootstrap`, env);
    expect(noTty.code, noTty.stderr).toBe(2);
    expect(noTty.stderr).toContain('pass --yes');
    const cfn = new CloudFormationClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const changeSets = await cfn.send(new ListChangeSetsCommand({ StackName: 'tugboat-asked' }));
    expect(changeSets.Summaries ?? []).toEqual([]);

    const no = await runCli(['update', '-f', respec, '--no-bootstrap'], {
      env,
      cwd: dir,
      interactive: true,
      answers: ['n'],
    });
    expect(no.code, no.stderr).toBe(130);
    expect(no.stdout).toContain('update declined, nothing changed');
    const declinedDelete = await runCli(['delete', 'asked'], {
      env,
      cwd: dir,
      interactive: true,
      answers: ['no'],
    });
    expect(declinedDelete.code).toBe(130);
    const deleted = await runCli(['delete', 'asked', '--yes'], { env, cwd: dir });
    expect(deleted.code, deleted.stderr).toBe(0);
  }, 400_000);
});

describe("kubeconfig: kubectl's files, comments kept, the user's context back after delete", () => {
  it('merges into the first existing $KUBECONFIG file of two and delete restores the context from before', () => {
    const env = userEnv({
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const kube = join(dir, 'kube-two');
    mkdirSync(kube);
    const missing = join(kube, 'missing');
    const mine = join(kube, 'mine');
    writeFileSync(
      mine,
      [
        '# my work clusters: keep this comment',
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '  - name: work # staging',
        '    cluster: { server: "https://127.0.0.1:1" }',
        'users:',
        '  - name: me',
        '    user: { token: not-a-real-token }',
        'contexts:',
        '  - name: work',
        '    context: { cluster: work, user: me }',
        'current-context: work',
        '',
      ].join('\n'),
    );
    env.KUBECONFIG = `${missing}:${mine}`;
    const kubectl = (...args: string[]) =>
      execFileSync('kubectl', ['config', ...args], { env, encoding: 'utf8' }).trim();
    expect(kubectl('current-context')).toBe('work');

    const spec = writeTestSpec(join(dir, 'kube-two'), { name: 'kc', desired: 1 });
    const created = sh(`tugboat create -f ${JSON.stringify(spec)} --no-bootstrap`, env);
    expect(created.code, created.stderr).toBe(0);
    // What the SSH bootstrap leaves in the state directory (moto's instances have no sshd).
    const ca = createCa({ cluster: 'kc' });
    writeKeyFile(
      join(dir, 'state', 'kc', 'kubeconfig'),
      renderKubeconfig({
        cluster: 'kc',
        server: 'https://127.0.0.1:6443',
        caPem: ca.certPem,
        user: 'admin',
        ...issueAdminCertificate(ca),
      }),
    );
    const merged = sh('tugboat kubeconfig kc', env);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain(`context kc merged into ${mine} and made current`);
    expect(kubectl('current-context')).toBe('kc');
    expect(kubectl('get-contexts', '-o', 'name').split('\n').sort()).toEqual(['kc', 'work']);
    expect(readFileSync(mine, 'utf8')).toContain('# my work clusters: keep this comment');
    expect(() => readFileSync(missing)).toThrow(/ENOENT/);

    const deleted = sh('tugboat delete kc --yes', env);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(
      `kubeconfig: context kc removed from ${mine}; current context is work again`,
    );
    expect(kubectl('current-context')).toBe('work');
    expect(kubectl('get-contexts', '-o', 'name')).toBe('work');
    expect(kubectl('view', '-o', 'jsonpath={.users[*].name}')).toBe('me');
    const text = readFileSync(mine, 'utf8');
    expect(text).toContain('# my work clusters: keep this comment');
    expect(text).toContain('# staging');
  }, 400_000);
});
