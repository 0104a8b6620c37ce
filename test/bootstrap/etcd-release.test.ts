import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_ETCD_MIRROR,
  ETCD_RELEASE,
  etcdArch,
  etcdArchiveName,
  etcdReleaseObjectKey,
  etcdReleasePaths,
  etcdReleaseUrl,
  parseEtcdMirror,
  parseEtcdReleasePin,
  requireEtcdArch,
} from '../../src/bootstrap/etcd-release.js';
import {
  effectiveEtcdMirror,
  etcdReleaseCacheDir,
  loadEtcdRelease,
  sha256Hex,
} from '../../src/bootstrap/etcd-release-cache.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { checkEtcdStaging } from '../../src/cluster/etcd-release-upload.js';
import { settingsBootstrapOptions } from '../../src/cluster/stack-settings.js';
import { parseClusterSpec } from '../../src/config/index.js';
import type { TugboatError } from '../../src/errors.js';
import { RecordingEvents } from '../../src/events.js';
import { buildBootArgs } from '../../src/provision/template/boot-args.js';
import {
  buildClusterSettings,
  parseClusterSettings,
  renderClusterSettings,
} from '../../src/provision/template/settings.js';
import { baseSpec } from '../config/spec-fixture.js';
import { serveFiles, useTestEtcdRelease } from '../support/etcd-release.js';

const release = useTestEtcdRelease('unit');
const file = etcdArchiveName(release.pin, 'amd64');
const urlPath = `/v${release.version}/${file}`;
let server: Awaited<ReturnType<typeof serveFiles>>;

beforeAll(async () => {
  server = await serveFiles(
    new Map([
      [`/mirror${urlPath}`, release.tarball],
      [`/tampered${urlPath}`, Buffer.concat([release.tarball, Buffer.from('x')])],
      [`/cut${urlPath}`, release.tarball],
    ]),
    new Set([`/cut${urlPath}`]),
  );
});
afterAll(() => server.close());

const codeOf = (err: unknown) => (err as TugboatError).code;

describe('the etcd release pin (etcd-release.json)', () => {
  it('pins an etcd 3.5 release with a SHA-256 for amd64 and arm64', () => {
    expect(ETCD_RELEASE.version).toMatch(/^3\.5\.\d+$/);
    expect(ETCD_RELEASE.archives.amd64.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ETCD_RELEASE.archives.arm64.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ETCD_RELEASE.archives.amd64.sha256).not.toBe(ETCD_RELEASE.archives.arm64.sha256);
    expect(etcdReleaseUrl(ETCD_RELEASE, 'arm64')).toBe(
      `https://github.com/etcd-io/etcd/releases/download/v${ETCD_RELEASE.version}/etcd-v${ETCD_RELEASE.version}-linux-arm64.tar.gz`,
    );
  });

  it.each([
    [null, 'is not an object'],
    [{ version: 'v3.5.27', archives: {} }, 'version "v3.5.27" is not a release version'],
    [{ version: '3.5.27' }, 'archives is missing'],
    [
      { version: '3.5.27', archives: { amd64: { sha256: 'a'.repeat(64) } } },
      'archives.arm64.sha256 undefined',
    ],
    [
      {
        version: '3.5.27',
        archives: { amd64: { sha256: 'A'.repeat(64) }, arm64: { sha256: 'a'.repeat(64) } },
      },
      'archives.amd64.sha256 "AAAA',
    ],
    [
      {
        version: '3.5.27',
        archives: { amd64: { sha256: 'a'.repeat(64) }, arm64: { sha256: 'a'.repeat(64) }, s390x: {} },
      },
      'archives.s390x: unknown architecture',
    ],
  ])('refuses a malformed pin %j', (value, message) => {
    const err = (() => {
      try {
        parseEtcdReleasePin(value, 'pin.json');
      } catch (e) {
        return e;
      }
    })();
    expect(codeOf(err)).toBe('ETCD_PIN_INVALID');
    expect((err as Error).message).toContain(`pin.json: ${message}`);
  });

  it('maps uname -m to etcd architectures and refuses the others by name', () => {
    expect(etcdArch('x86_64')).toBe('amd64');
    expect(etcdArch('aarch64')).toBe('arm64');
    expect(etcdArch('riscv64')).toBeUndefined();
    expect(() => requireEtcdArch('riscv64', 'm1')).toThrow(
      'm1: etcd publishes no release for machine "riscv64" (x86_64 and aarch64 only)',
    );
  });

  it('checks mirrors: http(s) only, no credentials, no query; trailing slash dropped', () => {
    expect(parseEtcdMirror('https://mirror.example/etcd/')).toBe('https://mirror.example/etcd');
    expect(() => parseEtcdMirror('ftp://m.example/etcd')).toThrow('only http and https');
    expect(() => parseEtcdMirror('https://u:secret@m.example/')).toThrow('credentials in the URL');
    expect(() => parseEtcdMirror('https://u:secret@m.example/')).not.toThrow('secret');
    expect(() => parseEtcdMirror('https://m.example/?x=1')).toThrow('no query or fragment');
    expect(() => parseEtcdMirror('not a url')).toThrow('etcd.mirror "not a url" is not a URL');
    expect(effectiveEtcdMirror(undefined, {})).toBe(DEFAULT_ETCD_MIRROR);
    expect(effectiveEtcdMirror('https://spec.example/e', {})).toBe('https://spec.example/e');
    expect(
      effectiveEtcdMirror('https://spec.example/e', { TUGBOAT_ETCD_MIRROR: 'http://127.0.0.1:1/m/' }),
    ).toBe('http://127.0.0.1:1/m');
    expect(() => effectiveEtcdMirror(undefined, { TUGBOAT_ETCD_MIRROR: 'nope' })).toThrow(
      'TUGBOAT_ETCD_MIRROR',
    );
  });

  it('keys the staged tarball by content and unpacks into a versioned directory', () => {
    expect(etcdReleaseObjectKey('demo', ETCD_RELEASE, 'amd64')).toBe(
      `demo/etcd/${ETCD_RELEASE.archives.amd64.sha256}/etcd-v${ETCD_RELEASE.version}-linux-amd64.tar.gz`,
    );
    const p = etcdReleasePaths(buildHostLayout(), '3.5.27');
    expect(p.etcd).toBe('/opt/tugboat/etcd/v3.5.27/etcd');
    expect(p.etcdctl).toBe('/opt/tugboat/etcd/v3.5.27/etcdctl');
  });
});

describe('loadEtcdRelease (the laptop cache)', () => {
  it('downloads once from the mirror, verifies, caches; the next load reads the cache', async () => {
    const cacheDir = join(release.dir, 'cache-hit');
    const events = new RecordingEvents();
    const mirror = `${server.base}/mirror`;
    const first = await loadEtcdRelease('amd64', { cacheDir, pin: release.pin, mirror, env: {}, events });
    expect(first.tarball.equals(release.tarball)).toBe(true);
    expect(server.hits.get(`/mirror${urlPath}`)).toBe(1);
    expect(readdirSync(cacheDir)).toEqual([file]);
    expect(events.codes()).toContain('etcd-release.fetch');
    const second = await loadEtcdRelease('amd64', { cacheDir, pin: release.pin, mirror, env: {} });
    expect(second.tarball.equals(release.tarball)).toBe(true);
    expect(server.hits.get(`/mirror${urlPath}`)).toBe(1);
  });

  it('takes TUGBOAT_ETCD_MIRROR over the spec mirror', async () => {
    const cacheDir = join(release.dir, 'cache-env');
    const got = await loadEtcdRelease('amd64', {
      cacheDir,
      pin: release.pin,
      mirror: 'https://unused.example/etcd',
      env: { TUGBOAT_ETCD_MIRROR: `${server.base}/mirror` },
    });
    expect(sha256Hex(got.tarball)).toBe(release.pin.archives.amd64.sha256);
  });

  it('refuses a download that does not match the pin, with both checksums, and caches nothing', async () => {
    const cacheDir = join(release.dir, 'cache-bad');
    const err = await loadEtcdRelease('amd64', {
      cacheDir,
      pin: release.pin,
      mirror: `${server.base}/tampered`,
      env: {},
    }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('ETCD_RELEASE_CHECKSUM');
    const bad = sha256Hex(Buffer.concat([release.tarball, Buffer.from('x')]));
    expect((err as Error).message).toContain(
      `expected SHA-256 ${release.pin.archives.amd64.sha256}, got ${bad}`,
    );
    expect((err as Error).message).toContain('nothing was cached or installed');
    expect(existsSync(join(cacheDir, file))).toBe(false);
  });

  it('replaces a damaged cached copy by downloading again', async () => {
    const cacheDir = join(release.dir, 'cache-damaged');
    await loadEtcdRelease('amd64', { cacheDir, pin: release.pin, mirror: `${server.base}/mirror`, env: {} });
    writeFileSync(join(cacheDir, file), 'damaged');
    const events = new RecordingEvents();
    const before = server.hits.get(`/mirror${urlPath}`) ?? 0;
    const got = await loadEtcdRelease('amd64', {
      cacheDir,
      pin: release.pin,
      mirror: `${server.base}/mirror`,
      env: {},
      events,
    });
    expect(got.tarball.equals(release.tarball)).toBe(true);
    expect(server.hits.get(`/mirror${urlPath}`)).toBe(before + 1);
    expect(events.codes()).toContain('etcd-release.cache-damaged');
  });

  it('a download cut off mid-body fails saying how to get the release and leaves nothing in the cache', async () => {
    const cacheDir = join(release.dir, 'cache-cut');
    const err = await loadEtcdRelease('amd64', {
      cacheDir,
      pin: release.pin,
      mirror: `${server.base}/cut`,
      env: {},
    }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('ETCD_RELEASE_UNAVAILABLE');
    expect((err as Error).message).toContain(
      `could not download etcd ${release.version} from ${server.base}/cut${urlPath}`,
    );
    expect(server.hits.get(`/cut${urlPath}`)).toBe(1);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('says how to get the release when the mirror does not have it', async () => {
    const err = await loadEtcdRelease('arm64', {
      cacheDir: join(release.dir, 'cache-missing'),
      pin: release.pin,
      mirror: `${server.base}/mirror`,
      env: {},
    }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('ETCD_RELEASE_UNAVAILABLE');
    expect((err as Error).message).toContain('HTTP 404');
    expect((err as Error).message).toContain('etcd.source: package');
  });

  it('caches under the state root like the Node.js runtime', () => {
    expect(etcdReleaseCacheDir('/home/u/.tugboat')).toBe('/home/u/.tugboat/.cache/etcd-release');
  });
});

describe('etcd settings in the stack (BootstrapSettings), for tugboat bootstrap/upgrade NAME', () => {
  it('keeps source and mirror with store etcd only, and reads them back; unknown sources are dropped', () => {
    const etcdSpec = parseClusterSpec(
      JSON.stringify({
        ...baseSpec(),
        availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        master: { count: 3 },
        etcd: { source: 'release', mirror: 'https://mirror.example/etcd' },
      }),
    );
    const settings = buildClusterSettings(etcdSpec);
    expect(settings.etcd).toEqual({ source: 'release', mirror: 'https://mirror.example/etcd' });
    expect(parseClusterSettings(renderClusterSettings(settings))?.etcd).toEqual(settings.etcd);
    expect(settingsBootstrapOptions(settings).etcd).toEqual(settings.etcd);
    expect(buildBootArgs(etcdSpec, 'master')).toEqual(expect.arrayContaining(['--etcd-source', 'release']));
    const embedded = buildClusterSettings(parseClusterSpec(JSON.stringify(baseSpec())));
    expect(embedded.etcd).toBeUndefined();
    const text = renderClusterSettings(settings).replace('"release"', '"homebrew"');
    expect(parseClusterSettings(text)?.etcd).toBeUndefined();
  });

  it('checks the mirror staging will use before any AWS call (env over spec), only when a release is staged', () => {
    const etcdSettings = {
      ...buildClusterSettings(parseClusterSpec(JSON.stringify(baseSpec()))),
      store: 'etcd' as const,
    };
    expect(() =>
      checkEtcdStaging(
        { ...etcdSettings, etcd: { source: 'auto' } },
        { TUGBOAT_ETCD_MIRROR: 'ftp://x.example/' },
      ),
    ).toThrow('TUGBOAT_ETCD_MIRROR "ftp://x.example/" only http and https mirrors are supported');
    expect(() => checkEtcdStaging({ ...etcdSettings, etcd: { source: 'auto' } }, {})).not.toThrow();
    expect(() =>
      checkEtcdStaging(
        { ...etcdSettings, etcd: { source: 'package' } },
        { TUGBOAT_ETCD_MIRROR: 'ftp://x.example/' },
      ),
    ).not.toThrow();
    expect(() =>
      checkEtcdStaging({ ...etcdSettings, store: 'embedded' }, { TUGBOAT_ETCD_MIRROR: 'ftp://x.example/' }),
    ).not.toThrow();
  });
});
