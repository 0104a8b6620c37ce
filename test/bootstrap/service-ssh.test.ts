import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { connectSsh } from '../../src/ssh/connect.js';
import type { SshShell } from '../../src/ssh/ssh-shell.js';
import { type Sshd, startSshd } from '../harness/sshd.js';
import { describeHostFilesAndUninstall } from './host-contract.js';
import { describeSupervisedService } from './service-contract.js';

let sshd: Sshd;
let shell: SshShell;
let root: string;
const connect = () =>
  connectSsh({
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.clientKey.privateKeyPath,
    name: 'ssh-service-host',
    hostKeys: { knownHostsPath: join(root, 'known_hosts'), trustNewHosts: true },
  });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), `tugboat-svc-ssh-${process.pid}-`));
  sshd = await startSshd();
  shell = await connect();
});
afterAll(async () => {
  await shell?.close();
  await sshd?.stop();
  rmSync(root, { recursive: true, force: true });
});

describeSupervisedService(
  'SshShell',
  () => shell,
  () => root,
  async () => {
    await shell.close();
    shell = await connect();
  },
);

describeHostFilesAndUninstall(
  'SshShell',
  () => shell,
  () => join(root, 'host2'),
);
