import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { etcdBackupAccessProblem } from '../../src/cluster/backup-etcd.js';

const dirs: string[] = [];
function stateDir(files: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-backup-access-'));
  dirs.push(dir);
  for (const f of files) writeFileSync(join(dir, f), 'x');
  return dir;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('etcdBackupAccessProblem: whether backup create can reach an etcd cluster’s masters from here', () => {
  it('a cluster deployed with the AWS CLI alone (no local state): names both missing files and the scheduled backups', () => {
    const dir = stateDir([]);
    const problem = etcdBackupAccessProblem('nc', dir, {}, {});
    expect(problem).toContain('cluster "nc" keeps its store in etcd');
    expect(problem).toContain(`no SSH key (${join(dir, 'id_ed25519')}) and no ssh-agent`);
    expect(problem).toContain(`no known host keys (${join(dir, 'known_hosts')})`);
    expect(problem).toContain('set backup.schedule in its spec');
    expect(problem).toContain('`tugboat backup list nc`');
  });

  it('host keys pinned but no key and no agent: only the key is missing', () => {
    const dir = stateDir(['known_hosts']);
    const problem = etcdBackupAccessProblem('nc', dir, {}, {});
    expect(problem).toContain('no SSH key');
    expect(problem).not.toContain('no known host keys');
  });

  it('the key of tugboat create, or an ssh-agent, with known_hosts: nothing in the way', () => {
    const dir = stateDir(['known_hosts', 'id_ed25519']);
    expect(
      etcdBackupAccessProblem('c', dir, { privateKeyPath: join(dir, 'id_ed25519') }, {}),
    ).toBeUndefined();
    expect(etcdBackupAccessProblem('c', dir, {}, { SSH_AUTH_SOCK: '/run/agent.sock' })).toBeUndefined();
  });

  it('a key but no known_hosts: says so (host keys are never trusted on first use here)', () => {
    const dir = stateDir(['id_ed25519']);
    const problem = etcdBackupAccessProblem('c', dir, { privateKeyPath: join(dir, 'id_ed25519') }, {});
    expect(problem).toContain('no known host keys');
    expect(problem).not.toContain('no SSH key');
  });
});
