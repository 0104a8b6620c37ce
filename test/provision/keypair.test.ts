import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import type { Ec2Api } from '../../src/aws/ec2.js';
import { ConfigError, RecordingEvents } from '../../src/index.js';
import { buildSshKeyPair, ensureKeyPair } from '../../src/provision/keypair.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-keys-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Just the key-pair calls, with EC2's behaviour: import fails on a duplicate name. */
function fakeEc2() {
  const keys = new Map<string, { publicKey: string; tags: Record<string, string> }>();
  const api = {
    async describeKeyPairs(filters: readonly { name: string; values: readonly string[] }[]) {
      const name = filters[0]?.values[0] ?? '';
      const k = keys.get(name);
      return k ? [{ name, id: `key-${name}`, tags: k.tags }] : [];
    },
    async importKeyPair(name: string, publicKey: string, tags: Record<string, string>) {
      if (keys.has(name)) throw new Error(`duplicate ${name}`);
      keys.set(name, { publicKey, tags });
      return `key-${name}`;
    },
  };
  return { keys, ec2: api as unknown as Ec2Api };
}

describe('ed25519 key pairs', () => {
  it('writes OpenSSH formats that ssh-keygen and ssh2 both read', () => {
    const pair = buildSshKeyPair('tugboat-test');
    expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/=]+ tugboat-test$/);
    const file = join(dir, 'id_test');
    writeFileSync(file, pair.privateKey, { mode: 0o600 });
    const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
    expect(derived.split(' ').slice(0, 2)).toEqual(pair.publicKey.split(' ').slice(0, 2));
    const parsed = utils.parseKey(pair.privateKey);
    expect(parsed).not.toBeInstanceOf(Error);
    expect(Array.isArray(parsed) ? parsed[0]?.type : (parsed as { type: string }).type).toBe('ssh-ed25519');
  });

  it('always encodes a 32-byte ed25519 public key (ssh2 generation dropped leading zero bytes)', () => {
    // About 1 key in 200 from ssh2's generateKeyPairSync had a 31-byte key; 2,000 keys make a
    // regression all but certain to show.
    for (let i = 0; i < 2_000; i++) {
      const [type, blob, comment] = buildSshKeyPair('k').publicKey.split(' ');
      expect(type).toBe('ssh-ed25519');
      expect(comment).toBe('k');
      const raw = Buffer.from(blob ?? '', 'base64');
      expect(raw.length).toBe(51);
      expect(raw.readUInt32BE(15)).toBe(32);
    }
  });

  it('generates once into <state>/<cluster>/ with 0600, imports tagged, and is idempotent', async () => {
    const { keys, ec2 } = fakeEc2();
    const events = new RecordingEvents();
    const first = await ensureKeyPair({ ec2, events, cluster: 'demo', stateRoot: dir });
    expect(first).toMatchObject({ keyName: 'tugboat-demo', imported: true });
    expect(statSync(first.privateKeyPath ?? '').mode & 0o777).toBe(0o600);
    expect(keys.get('tugboat-demo')?.tags).toEqual({ 'tugboat:cluster': 'demo' });
    const pub = readFileSync(`${first.privateKeyPath}.pub`, 'utf8').trim();
    expect(keys.get('tugboat-demo')?.publicKey).toBe(pub);

    const second = await ensureKeyPair({ ec2, events, cluster: 'demo', stateRoot: dir });
    expect(second.imported).toBe(false);
    expect(readFileSync(`${first.privateKeyPath}.pub`, 'utf8').trim()).toBe(pub);
    expect(events.codes().filter((c) => c === 'keypair.generated')).toHaveLength(1);
  });

  it('imports a given public key file instead of generating, and names the field when it is missing', async () => {
    const { keys, ec2 } = fakeEc2();
    const file = join(dir, 'mine.pub');
    writeFileSync(file, `${buildSshKeyPair('me').publicKey}\n`);
    const r = await ensureKeyPair({
      ec2,
      events: new RecordingEvents(),
      cluster: 'own',
      publicKeyFile: file,
    });
    expect(r.privateKeyPath).toBeUndefined();
    expect(keys.get('tugboat-own')?.publicKey).toBe(readFileSync(file, 'utf8').trim());
    const err = await ensureKeyPair({
      ec2,
      events: new RecordingEvents(),
      cluster: 'own2',
      publicKeyFile: join(dir, 'nope.pub'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('ssh.publicKeyFile');
  });
});
