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

  it('reports YAML syntax errors', () => {
    expect(issuesOf('cluster: [unclosed')[0]).toMatch(/^: not valid YAML/);
  });
});
