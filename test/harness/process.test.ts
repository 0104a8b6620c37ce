import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type StartedProcess, startProcess } from './process.js';

let dir: string | undefined;
let proc: StartedProcess | undefined;

afterEach(async () => {
  await proc?.stop();
  proc = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('startProcess', () => {
  it('never blocks a chatty server while the test waits in a synchronous child (moto logging every request)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tugboat-awsfix-proc-'));
    const ready = join(dir, 'ready');
    const done = join(dir, 'done');
    // Once told to, the server writes 256 KiB to stderr (four times a pipe's buffer), then says
    // it is done: with a pipe nobody drains, the write blocks and `done` never appears.
    proc = await startProcess(
      'sh',
      [
        '-c',
        `touch ${ready}; while [ ! -e ${ready}.go ]; do sleep 0.05; done; ` +
          `head -c 262144 /dev/zero | tr '\\0' x >&2; echo; echo tail-mark; touch ${done}; sleep 60`,
      ],
      { ready: async () => existsSync(ready) },
    );
    // The test's event loop is blocked from here until the synchronous child returns.
    const waited = execFileSync(
      'sh',
      [
        '-c',
        `touch ${ready}.go; for i in $(seq 100); do [ -e ${done} ] && echo done && exit 0; sleep 0.1; done; echo stuck`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(waited.trim()).toBe('done');
    expect(proc.output()).toMatch(/x+\ntail-mark\n$/);
    expect(proc.output().length).toBe(20_000);
    await proc.stop();
    expect(proc.output()).toMatch(/tail-mark\n$/);
  });
});
