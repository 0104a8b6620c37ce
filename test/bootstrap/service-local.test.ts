import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { describeHostFilesAndUninstall } from './host-contract.js';
import { describeSupervisedService } from './service-contract.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-svc-local-${process.pid}-`));
const shell = new LocalShell({ host: 'local-host' });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeSupervisedService(
  'LocalShell',
  () => shell,
  () => root,
);

describeHostFilesAndUninstall(
  'LocalShell',
  () => shell,
  () => join(root, 'host2'),
);
