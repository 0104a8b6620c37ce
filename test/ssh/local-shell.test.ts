import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { describeShellContract } from './shell-contract.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-local-shell-${process.pid}-`));
const shell = new LocalShell({ host: 'local-test' });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeShellContract(
  'LocalShell',
  () => shell,
  () => dir,
);
