import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostKeyError } from '../../src/ssh/errors.js';
import { checkHostKey } from '../../src/ssh/host-key-policy.js';
import {
  fingerprint,
  hostsFieldMatches,
  KnownHostsFile,
  knownHostName,
  parseKnownHosts,
  parsePublicKeyLine,
} from '../../src/ssh/known-hosts.js';
import { generateSshKey } from '../harness/sshd.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-kh-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const a = generateSshKey(dir, 'a');
const b = generateSshKey(dir, 'b');
const keyA = parsePublicKeyLine(a.publicKey).key;
const keyB = parsePublicKeyLine(b.publicKey).key;
let n = 0;
const freshFile = (text = '') => {
  const path = join(dir, `known_hosts_${n++}`);
  writeFileSync(path, text);
  return path;
};

describe('known_hosts format', () => {
  it('fingerprints like ssh-keygen -l', () => {
    const out = execFileSync('ssh-keygen', ['-l', '-f', `${a.privateKeyPath}.pub`], { encoding: 'utf8' });
    expect(out.split(' ')[1]).toBe(fingerprint(keyA));
  });

  it('names non-default ports [host]:port', () => {
    expect(knownHostName('10.0.0.1')).toBe('10.0.0.1');
    expect(knownHostName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('parses markers, comments, patterns and skips malformed lines', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        `host1,[127.0.0.1]:2222 ${a.publicKey}`,
        `@revoked * ${b.publicKey}`,
        'garbage line',
        `bad ssh-ed25519 !!!notbase64`,
      ].join('\n'),
    );
    expect(entries.map((e) => [e.hosts, e.marker, e.line])).toEqual([
      ['host1,[127.0.0.1]:2222', undefined, 3],
      ['*', 'revoked', 4],
    ]);
  });

  it('matches wildcards and negations as OpenSSH does', () => {
    expect(hostsFieldMatches('*.example.com,!bad.example.com', 'ok.example.com')).toBe(true);
    expect(hostsFieldMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(hostsFieldMatches('10.0.0.?', '10.0.0.7')).toBe(true);
    expect(hostsFieldMatches('10.0.0.1', '[10.0.0.1]:2222')).toBe(false);
  });

  it('finds entries hashed by ssh-keygen -H', () => {
    const path = freshFile(`[127.0.0.1]:2222 ${a.publicKey}\nother ${b.publicKey}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', path], { stdio: 'ignore' });
    expect(readFileSync(path, 'utf8')).not.toContain('127.0.0.1');
    const file = new KnownHostsFile(path);
    expect(file.check('127.0.0.1', 2222, keyA)).toEqual({ status: 'match' });
    expect(file.check('127.0.0.1', 2222, keyB).status).toBe('mismatch');
    expect(file.check('127.0.0.1', 22, keyA)).toEqual({ status: 'unknown' });
  });

  it('writes hashed entries that ssh-keygen -F finds, in a 0600 file', () => {
    const path = join(dir, 'sub', 'known_hosts');
    new KnownHostsFile(path).add('127.0.0.9', 2200, keyA, { hash: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.9]:2200', '-f', path], { encoding: 'utf8' });
    expect(found).toContain(a.publicKey.split(' ')[1]);
  });
});

describe('checkHostKey', () => {
  it('rejects an unknown host, naming it, its fingerprint and the fix', () => {
    const path = freshFile();
    const err = (() => {
      try {
        checkHostKey({ knownHostsPath: path }, '127.0.0.1', 2222, keyA);
      } catch (e) {
        return e as HostKeyError;
      }
    })();
    expect(err).toBeInstanceOf(HostKeyError);
    expect(err?.problem).toBe('unknown');
    expect(err?.message).toContain('[127.0.0.1]:2222');
    expect(err?.message).toContain(fingerprint(keyA));
    expect(err?.message).toContain('--trust-new-hosts');
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('records a new host with trustNewHosts, then knows it', () => {
    const path = freshFile();
    const policy = { knownHostsPath: path, trustNewHosts: true };
    expect(checkHostKey(policy, '127.0.0.1', 2222, keyA)).toBe('trusted-new');
    expect(checkHostKey(policy, '127.0.0.1', 2222, keyA)).toBe('known');
    expect(readFileSync(path, 'utf8')).toBe(
      `[127.0.0.1]:2222 ${a.publicKey.split(' ').slice(0, 2).join(' ')}\n`,
    );
  });

  it('accepts and records a pinned key; refuses a key that is not the pin', () => {
    const path = freshFile();
    expect(checkHostKey({ knownHostsPath: path, pinnedHostKeys: [a.publicKey] }, 'h', 22, keyA)).toBe(
      'pinned',
    );
    expect(new KnownHostsFile(path).check('h', 22, keyA).status).toBe('match');
    expect(() =>
      checkHostKey({ knownHostsPath: freshFile(), pinnedHostKeys: [a.publicKey] }, 'h', 22, keyB),
    ).toThrow(/pinned key is SHA256:/);
  });

  it('a changed key is a hard error even with trustNewHosts, naming both fingerprints', () => {
    const path = freshFile(`[127.0.0.1]:2222 ${a.publicKey}\n`);
    expect(() =>
      checkHostKey({ knownHostsPath: path, trustNewHosts: true }, '127.0.0.1', 2222, keyB),
    ).toThrow(
      new RegExp(
        `host key of \\[127\\.0\\.0\\.1\\]:2222 changed: .* line 1 has ${fingerprint(keyA).replace(/[+/]/g, '\\$&')} but the host offered ssh-ed25519 ${fingerprint(keyB).replace(/[+/]/g, '\\$&')}`,
      ),
    );
    expect(readFileSync(path, 'utf8')).toBe(`[127.0.0.1]:2222 ${a.publicKey}\n`);
  });

  it('refuses a @revoked key', () => {
    const path = freshFile(`@revoked * ${a.publicKey}\n`);
    expect(() => checkHostKey({ knownHostsPath: path, trustNewHosts: true }, 'x', 22, keyA)).toThrow(
      /@revoked/,
    );
  });
});
