import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createStore } from '../../../src/control-plane/store/index.js';
import { storeContract } from './contract.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-store-${process.pid}-`));
let n = 0;

afterAll(() => rmSync(root, { recursive: true, force: true }));

storeContract('embedded', () => createStore({ kind: 'embedded', dataDir: join(root, `s${n++}`) }));
