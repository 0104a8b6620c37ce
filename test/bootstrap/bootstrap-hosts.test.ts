import { describe, expect, it } from 'vitest';
import { parseBootstrapHosts } from '../../src/bootstrap/bootstrap-hosts.js';
import { ConfigError } from '../../src/errors.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlzZ7pVQ3m3pQb0gqSx6qW2N5sHfJ6S0x3m8YtqJ6aL host';

const issuesOf = (text: string) => {
  try {
    parseBootstrapHosts(text, 'hosts.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
};

describe('parseBootstrapHosts', () => {
  it('applies defaults and splits master and workers', () => {
    const inv = parseBootstrapHosts(`
cluster: lab
ssh: { user: admin, privateKeyFile: ~/.ssh/lab, jumpHost: { address: bastion.lab.example } }
hosts:
  - { name: m1, address: 10.0.0.5, role: master, hostKey: "${KEY}" }
  - { name: w1, address: 10.0.0.6, role: worker, port: 2222, user: root }
  - { name: w2, address: "fd00::7", role: worker }
`);
    expect(inv).toEqual({
      cluster: 'lab',
      runtime: 'docker',
      privateKeyFile: '~/.ssh/lab',
      jumpHost: { address: 'bastion.lab.example', port: 22, user: 'admin' },
      master: { name: 'm1', address: '10.0.0.5', port: 22, user: 'admin', role: 'master', hostKey: KEY },
      workers: [
        { name: 'w1', address: '10.0.0.6', port: 2222, user: 'root', role: 'worker' },
        { name: 'w2', address: 'fd00::7', port: 22, user: 'admin', role: 'worker' },
      ],
    });
  });

  it('names the path of every problem', () => {
    expect(
      issuesOf(`
cluster: Lab
runtime: containerd
hosts:
  - { name: m1, address: "10.0.0.300", role: boss, colour: red }
  - { name: w1, address: 10.0.0.6, role: worker, hostKey: "not a key" }
`),
    ).toEqual([
      'cluster: "Lab" must start with a letter and use lowercase letters, digits and dashes (at most 40)',
      'runtime: "containerd" is not allowed: use one of docker, process',
      'hosts[0].address: "10.0.0.300" must be an IP address or a DNS name',
      'hosts[0].role: "boss" is not allowed: use one of master, worker',
      'hosts[0]: unknown key(s) "colour": remove them',
      'hosts[1].hostKey: "not a key" must be an OpenSSH public key line like "ssh-ed25519 AAAA..."',
    ]);
  });

  it('needs exactly one master and unique names and addresses', () => {
    expect(
      issuesOf(`
cluster: lab
hosts:
  - { name: a, address: 127.0.0.1, port: 2200, role: worker }
  - { name: a, address: 127.0.0.1, port: 2200, role: worker }
`),
    ).toEqual([
      'hosts: has 0 masters: mark exactly one host with role: master',
      'hosts[1].name: "a" is also used by hosts[0]: make it unique',
      'hosts[1].address: "127.0.0.1:2200" is also used by hosts[0]: make it unique',
    ]);
  });

  it('takes 1, 3 or 5 masters, in file order, and refuses an even count with the quorum reason', () => {
    const inv = parseBootstrapHosts(`
cluster: lab
hosts:
  - { name: m2, address: 127.0.0.12, role: master }
  - { name: w1, address: 127.0.0.21, role: worker }
  - { name: m1, address: 127.0.0.11, role: master }
  - { name: m3, address: 127.0.0.13, role: master }
`);
    expect(inv.master.name).toBe('m2');
    expect(inv.masters?.map((m) => m.name)).toEqual(['m2', 'm1', 'm3']);
    expect(inv.workers.map((w) => w.name)).toEqual(['w1']);
    expect(
      issuesOf(`
cluster: lab
hosts:
  - { name: m1, address: 127.0.0.11, role: master }
  - { name: m2, address: 127.0.0.12, role: master }
`),
    ).toEqual([
      'hosts: has 2 masters: use 1, 3 or 5 (etcd needs a majority of them up, so 2 masters survive no more failures than 1)',
    ]);
  });

  it('reports YAML syntax errors', () => {
    expect(issuesOf('cluster: [unclosed')[0]).toMatch(/^: not valid YAML/);
  });
});
