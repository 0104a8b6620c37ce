import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBootScript } from '../../src/boot/user-data.js';
import { bundleFileName } from '../../src/bootstrap/host-files.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import {
  NODE_RUNTIME,
  runtimeMarker,
  runtimeObjectKey,
  runtimePaths,
} from '../../src/bootstrap/node-runtime.js';
import { ensureNodeRuntime } from '../../src/bootstrap/runtime-install.js';
import { uploadNodeRuntimes } from '../../src/cluster/runtime-upload.js';
import { type EventSink, silentEvents } from '../../src/events.js';
import { bundleObjectKey, type UploadedBundle, uploadHostBundle } from '../../src/provision/bundle-upload.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { type ImdsServer, startImdsServer } from '../harness/imds.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';
import { loadSetupRuntime } from '../support/node-runtime.js';

const CLUSTER = 'bootsh';
/** A cluster whose prefix has the bundle but no runtime (as when its upload failed): boot falls back to the registry. */
const NO_RUNTIME = 'bootsh-nort';
/** A cluster whose runtime object in S3 is not the pinned tarball. */
const BAD_RUNTIME = 'bootsh-badrt';
const PKG = NODE_RUNTIME.packages.x64;
const TARBALL_PATH = `/${PKG.name}/-/${PKG.name}-${NODE_RUNTIME.version}.tgz`;
/** A stand-in host bundle: records how boot was called, in the boot log's directory. */
const BUNDLE = Buffer.from(
  "import { writeFileSync } from 'node:fs';\nwriteFileSync('/var/log/tugboat/boot-args.json', JSON.stringify(process.argv.slice(2)));\n",
);
const FILE = bundleFileName('tugboat-host', BUNDLE);

let aws: MotoAws;
let imds: ImdsServer;
let registry: Server;
let registryUrl: string;
let tarball: Buffer;
let serveDamaged = false;
const registryHits: string[] = [];
let uploaded: UploadedBundle;
const work = mkdtempSync(join(tmpdir(), 'tugboat-boot-sh-'));

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

beforeAll(async () => {
  [aws, tarball] = await Promise.all([startMotoAws(), loadSetupRuntime('x64').then((r) => r.tarball)]);
  imds = await startImdsServer({
    instanceId: 'i-0123456789abcdef0',
    region: 'us-east-1',
    availabilityZone: 'us-east-1a',
    instanceType: 't3.small',
    privateIp: '10.0.0.4',
    role: 'tugboat-bootsh-worker',
    accessKeyId: 'ASIATESTBOOT',
    secretAccessKey: 'test',
    sessionToken: 'session-token-of-the-role',
  });
  registry = createServer((req, res) => {
    registryHits.push(req.url ?? '');
    if (req.url !== TARBALL_PATH) return res.writeHead(404).end();
    const body = serveDamaged ? Buffer.concat([tarball.subarray(0, 1000), Buffer.alloc(10)]) : tarball;
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  registryUrl = await listen(registry);
  const bundle = { file: FILE, content: BUNDLE };
  uploaded = (
    await Promise.all(
      [CLUSTER, NO_RUNTIME, BAD_RUNTIME].map((cluster) =>
        uploadHostBundle({ aws: aws.aws, cluster, bundle, events: silentEvents }),
      ),
    )
  )[0]!;
  await uploadNodeRuntimes({
    aws: aws.aws,
    cluster: CLUSTER,
    archs: ['x64'],
    load: () => loadSetupRuntime('x64'),
    events: silentEvents,
  });
  const ref = { bucket: uploaded.bucket, owner: await aws.aws.sts.accountId() };
  await aws.aws.s3Bundles.putBinary(
    ref,
    runtimeObjectKey(BAD_RUNTIME, NODE_RUNTIME, PKG),
    tarball.subarray(0, 5000),
    {},
  );
}, 120_000);

afterAll(async () => {
  registry?.closeAllConnections();
  await new Promise<void>((r) => (registry ? registry.close(() => r()) : r()));
  await imds?.close();
  await aws?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The worker script with the stack's values filled in as Fn::Sub does. */
function script(values: { bucket: string; sha256: string; file: string }, cluster = CLUSTER): string {
  const text = renderBootScript({
    cluster,
    role: 'worker',
    group: 'g1',
    region: { sub: 'AWS::Region' },
    bucket: { sub: 'BundleBucket' },
    sha256: { sub: 'BundleSha256' },
    file: { sub: 'BundleFile' },
    registry: { sub: 'NodeRuntimeRegistry' },
  });
  const subs: Record<string, string> = {
    'AWS::Region': 'us-east-1',
    BundleBucket: values.bucket,
    BundleSha256: values.sha256,
    BundleFile: values.file,
    NodeRuntimeRegistry: registryUrl,
  };
  return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => subs[name] ?? `<unset ${name}>`);
}

/** A fresh machine: its own /opt and /var/log (bind mounts in a private mount namespace). */
function machine(name: string) {
  const root = join(work, name);
  const opt = join(root, 'opt');
  const log = join(root, 'log');
  mkdirSync(opt, { recursive: true });
  mkdirSync(log, { recursive: true });
  return { root, opt, log, bootLog: () => readFileSync(join(log, 'tugboat', 'boot.log'), 'utf8') };
}

/** Runs the user-data as root under `sh`, as cloud-init does, with IMDS and the emulator as the instance sees them. */
function boot(
  m: ReturnType<typeof machine>,
  text: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string }> {
  const file = join(m.root, 'user-data');
  writeFileSync(file, text, { mode: 0o700 });
  return new Promise((resolve) => {
    execFile(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$1" /opt && mount --bind "$2" /var/log && exec sh "$3"',
        '-',
        m.opt,
        m.log,
        file,
      ],
      {
        env: {
          PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
          AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
          AWS_ENDPOINT_URL: aws.moto.endpoint,
          ...env,
        },
        timeout: 120_000,
      },
      (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
}

describe('host bundle upload', () => {
  it('puts the bundle under <cluster>/bundles/<sha256>/ once; an unchanged bundle sends nothing', async () => {
    const sha = createHash('sha256').update(BUNDLE).digest('hex');
    expect(uploaded.sha256).toBe(sha);
    expect(uploaded.key).toBe(bundleObjectKey(CLUSTER, sha, FILE));
    const ref = { bucket: uploaded.bucket, owner: await aws.aws.sts.accountId() };
    expect(await aws.aws.s3Bundles.objectExists(ref, uploaded.key)).toBe(true);
    const seen: string[] = [];
    const events: EventSink = { emit: (e) => seen.push(e.message) };
    const again = await uploadHostBundle({
      aws: aws.aws,
      cluster: CLUSTER,
      bundle: { file: FILE, content: BUNDLE },
      events,
    });
    expect(again.uploaded).toBe(false);
    expect(seen.join('\n')).toContain('already in');
  }, 60_000);
});

describe('boot script under sh', () => {
  it('installs the pinned runtime from the cluster prefix, fetches and verifies the bundle with role credentials, runs `boot`', async () => {
    const m = machine('good');
    registryHits.length = 0;
    const r = await boot(m, script(uploaded));
    expect(r.code, m.bootLog()).toBe(0);
    // The runtime came from S3 (signed in shell, before any node): the registry was not asked.
    expect(r.stdout).toContain(
      `from s3://${uploaded.bucket}/${runtimeObjectKey(CLUSTER, NODE_RUNTIME, PKG)}`,
    );
    expect(registryHits).toEqual([]);
    expect(m.bootLog()).not.toContain('falling back');
    expect(r.stdout).toContain(`bundle ${FILE} verified`);
    expect(m.bootLog()).toContain('boot complete');
    const bundle = join(m.opt, 'tugboat', 'bundles', FILE);
    expect(readFileSync(bundle).equals(BUNDLE)).toBe(true);
    expect(statSync(bundle).mode & 0o777).toBe(0o755);
    const marker = readFileSync(
      join(m.opt, 'tugboat', 'runtime', NODE_RUNTIME.version, '.tugboat-runtime'),
      'utf8',
    );
    expect(marker.trim()).toBe(runtimeMarker({ version: NODE_RUNTIME.version, package: PKG }));
    expect(JSON.parse(readFileSync(join(m.log, 'tugboat', 'boot-args.json'), 'utf8'))).toEqual([
      'boot',
      '--role',
      'worker',
      '--cluster',
      CLUSTER,
      '--region',
      'us-east-1',
      '--group',
      'g1',
    ]);
    // IMDSv2: a token first, then the role's credentials with it.
    const token = imds.requests.indexOf('PUT /latest/api/token');
    expect(token).toBeGreaterThanOrEqual(0);
    expect(imds.requests.slice(token)).toContain(
      'GET /latest/meta-data/iam/security-credentials/tugboat-bootsh-worker',
    );

    // The same machine booting again keeps its runtime, and refuses a bundle whose content is not its hash.
    rmSync(join(m.opt, 'tugboat', 'bundles'), { recursive: true });
    rmSync(join(m.log, 'tugboat', 'boot-args.json'));
    const ref = { bucket: uploaded.bucket, owner: await aws.aws.sts.accountId() };
    await aws.aws.s3Bundles.putBinary(
      ref,
      uploaded.key,
      Buffer.concat([BUNDLE, Buffer.from('\n// tampered\n')]),
      {},
    );
    try {
      const t = await boot(m, script(uploaded));
      expect(t.code).not.toBe(0);
      expect(t.stdout).toContain(`Node.js runtime ${PKG.name}@${NODE_RUNTIME.version} present`);
      expect(t.stdout).toMatch(/has SHA-256 [0-9a-f]{64}, not [0-9a-f]{64}: refusing to run it/);
      expect(m.bootLog()).toContain('FAILED');
      expect(existsSync(join(m.opt, 'tugboat', 'bundles', FILE))).toBe(false);
      expect(existsSync(join(m.opt, 'tugboat', 'bundles', `${FILE}.boot-part`))).toBe(false);
      expect(existsSync(join(m.log, 'tugboat', 'boot-args.json'))).toBe(false);
    } finally {
      await aws.aws.s3Bundles.putBinary(ref, uploaded.key, BUNDLE, {});
    }
  }, 240_000);

  it('falls back to the npm registry when the prefix has no runtime, saying so, and boots', async () => {
    const m = machine('fallback');
    registryHits.length = 0;
    const r = await boot(m, script(uploaded, NO_RUNTIME));
    expect(r.code, m.bootLog()).toBe(0);
    expect(r.stdout).toMatch(
      /S3 did not give the runtime \(S3 GET .* answered 404 .*NoSuchKey.*\): falling back to the npm registry/,
    );
    expect(registryHits).toEqual([TARBALL_PATH]);
    expect(m.bootLog()).toContain('boot complete');
  }, 120_000);

  it('falls back to the registry when S3 is unreachable, then stops at the bundle saying why', async () => {
    const m = machine('no-s3');
    registryHits.length = 0;
    // A port nothing listens on: connection refused.
    const r = await boot(m, script(uploaded), { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' });
    expect(r.code).not.toBe(0);
    expect(m.bootLog()).toMatch(/S3 did not give the runtime \(S3 GET .*unreachable\): falling back/);
    expect(registryHits).toEqual([TARBALL_PATH]);
    expect(existsSync(join(m.opt, 'tugboat', 'runtime', NODE_RUNTIME.version, 'bin', 'node'))).toBe(true);
    expect(m.bootLog()).toContain(`could not fetch s3://${uploaded.bucket}/${uploaded.key}`);
  }, 120_000);

  it('refuses a runtime archive that is not the pinned one, from S3 or the registry, and leaves no runtime behind', async () => {
    const fromS3 = machine('bad-runtime-s3');
    const r = await boot(fromS3, script(uploaded, BAD_RUNTIME));
    expect(r.code).not.toBe(0);
    expect(fromS3.bootLog()).toContain('SHA-512 differs from the pin');
    expect(existsSync(join(fromS3.opt, 'tugboat', 'runtime', NODE_RUNTIME.version))).toBe(false);
    const m = machine('bad-runtime');
    serveDamaged = true;
    try {
      const r = await boot(m, script(uploaded, NO_RUNTIME));
      expect(r.code).not.toBe(0);
      expect(m.bootLog()).toContain('SHA-512 differs from the pin');
      expect(existsSync(join(m.opt, 'tugboat', 'runtime', NODE_RUNTIME.version))).toBe(false);
      expect(existsSync(join(m.opt, 'tugboat', 'bundles', FILE))).toBe(false);
    } finally {
      serveDamaged = false;
    }
  }, 120_000);

  it('says why when the stack names no bundle', async () => {
    const m = machine('no-bundle');
    const r = await boot(m, script({ bucket: '', sha256: '', file: '' }));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('the stack names no host bundle');
    expect(m.bootLog()).toContain('boot stopped (exit 1)');
  }, 60_000);

  it('unpacks the runtime while SSH bootstrap installs the same one (--force) and both leave one whole runtime', async () => {
    const m = machine('race');
    // SSH bootstrap's view of the same machine: the layout under the directories boot sees as /opt.
    const layout = buildHostLayout({ root: m.root });
    const runtime = await loadSetupRuntime('x64');
    const [booted] = await Promise.all([
      boot(m, script(uploaded)),
      ensureNodeRuntime(new LocalShell(), runtime, { layout, force: true }),
    ]);
    expect(booted.code, m.bootLog()).toBe(0);
    expect(m.bootLog()).toContain('boot complete');
    const p = runtimePaths(layout, NODE_RUNTIME.version);
    expect(readdirSync(p.root)).toEqual([NODE_RUNTIME.version]);
    expect(readdirSync(p.dir).sort()).toEqual(['.tugboat-runtime', 'LICENSE', 'bin']);
    expect(execFileSync(p.node, ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${NODE_RUNTIME.version}`);
    expect(readFileSync(p.marker, 'utf8').trim()).toBe(
      runtimeMarker({ version: NODE_RUNTIME.version, package: PKG }),
    );
  });

  it("fails with S3's answer when the bundle object is missing", async () => {
    const m = machine('missing');
    const sha = 'e'.repeat(64);
    const r = await boot(m, script({ bucket: uploaded.bucket, sha256: sha, file: FILE }));
    expect(r.code).not.toBe(0);
    expect(m.bootLog()).toMatch(
      new RegExp(
        `could not fetch s3://${uploaded.bucket}/${CLUSTER}/bundles/${sha}/${FILE.replace('.', '\\.')}: .*answered 404 .*NoSuchKey`,
      ),
    );
  }, 120_000);
});
