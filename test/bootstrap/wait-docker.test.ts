import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForDocker } from '../../src/bootstrap/wait-docker.js';
import { LocalShell } from '../../src/ssh/local-shell.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-wait-docker-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A host whose `docker version` fails `failures` times (daemon still starting), then answers. */
function hostWithDocker(name: string, failures: number): LocalShell {
  const bin = join(root, name);
  mkdirSync(bin, { recursive: true });
  const count = join(bin, 'calls');
  writeFileSync(count, '0');
  writeFileSync(
    join(bin, 'docker'),
    `#!/bin/sh
n=$(($(cat ${count}) + 1)); echo $n > ${count}
if [ $n -le ${failures} ]; then echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; exit 1; fi
echo 28.1.1
`,
  );
  chmodSync(join(bin, 'docker'), 0o755);
  return new LocalShell({ host: name, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
}

describe('waitForDocker', () => {
  it('returns the version at once when the daemon answers', async () => {
    await expect(waitForDocker(hostWithDocker('up', 0))).resolves.toBe('28.1.1');
  });

  it('waits while the daemon is still starting', async () => {
    await expect(waitForDocker(hostWithDocker('booting', 3), { timeoutMs: 30_000 })).resolves.toBe('28.1.1');
  });

  it('fails after the timeout, naming the host, what docker said and the fix', async () => {
    await expect(waitForDocker(hostWithDocker('down', 1_000), { timeoutMs: 1_000 })).rejects.toThrow(
      /down: no Docker daemon answered within 1000 ms \(last: Cannot connect to the Docker daemon.*\): install Docker and start it/,
    );
  });
});
