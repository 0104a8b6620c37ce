import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { ProcessRuntime } from '../../../src/agent/runtime/process-runtime.js';
import type { ContainerLaunch } from '../../../src/agent/runtime/types.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-proc-${process.pid}-`));
const runtime = new ProcessRuntime({ dataDir: dir });
afterAll(async () => {
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

const launch = (command: string[]): ContainerLaunch => ({
  pod: { namespace: 'default', name: 'p', uid: 'u1' },
  name: 'c',
  attempt: 0,
  image: 'ignored',
  command,
  env: [{ name: 'WHO', value: 'tugboat' }],
  mounts: [],
  ports: [],
  network: { mode: 'host' },
});

const readAll = (s: Readable) =>
  new Promise<string>((resolve) => {
    let out = '';
    s.on('data', (c) => {
      out += c;
    });
    s.on('end', () => resolve(out));
  });

/** A process that runs (not gone, not a zombie). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function exited(id: string) {
  for (let i = 0; i < 100; i++) {
    const c = (await runtime.list()).find((x) => x.id === id);
    if (c?.state === 'exited') return c;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('did not exit');
}

it('is reported as not isolated', () => {
  expect(runtime.isolated).toBe(false);
});

it('runs the command as a host process with env, exit code and logs', async () => {
  const c = await runtime.start(launch(['sh', '-c', 'echo "hi $WHO"; echo line2; exit 3']));
  expect((await exited(c.id)).exitCode).toBe(3);
  expect(await readAll(await runtime.logs(c.id, {}))).toBe('hi tugboat\nline2\n');
  expect(await readAll(await runtime.logs(c.id, { tailLines: 1 }))).toBe('line2\n');
  expect(await readAll(await runtime.logs(c.id, { timestamps: true }))).toMatch(
    /^\d{4}-\d\d-\d\dT.* hi tugboat\n/,
  );
});

it('has every line of a container that exits right after a burst of output in its log once exited', async () => {
  // More than a pipe buffer: the process exits while the agent still has output to read.
  const c = await runtime.start(launch(['sh', '-c', 'seq 1 30000; seq 1 30000 >&2']));
  expect((await exited(c.id)).exitCode).toBe(0);
  const lines = (await readAll(await runtime.logs(c.id, {}))).split('\n').filter(Boolean);
  expect(lines).toHaveLength(60_000);
  expect(lines.at(-1)).toBe('30000');
  // What it forked into the background ends with it, as in a container, and closes the pipes.
  const bg = await runtime.start(launch(['sh', '-c', 'sleep 300 & echo "bg=$!"']));
  expect((await exited(bg.id)).exitCode).toBe(0);
  const pid = /bg=(\d+)/.exec(await readAll(await runtime.logs(bg.id, {})))?.[1];
  expect(pid).toMatch(/^\d+$/);
  // Gone, or a zombie until PID 1 reaps it (late here).
  expect(alive(Number(pid))).toBe(false);
  await runtime.remove(bg.id);
});

it('stops with SIGTERM then SIGKILL after the grace period, and execs', async () => {
  const c = await runtime.start(
    launch(['sh', '-c', 'trap "" TERM; echo trapped; while true; do sleep 0.1; done']),
  );
  // Stop only once the shell ignores SIGTERM, or a loaded machine would make this a plain SIGTERM test.
  for (let i = 0; i < 100 && !(await readAll(await runtime.logs(c.id, {}))).includes('trapped'); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const session = await runtime.exec(c.id, { command: ['sh', '-c', 'echo $WHO; exit 5'] });
  expect(await readAll(session.stdout)).toBe('tugboat\n');
  expect(await session.exitCode).toBe(5);
  await runtime.stop(c.id, 1);
  expect((await exited(c.id)).exitCode).toBe(137);
  await runtime.remove(c.id);
  expect((await runtime.list()).map((x) => x.id)).not.toContain(c.id);
});

it('stands in for a terminal with a line discipline when exec asks for a TTY', async () => {
  const c = await runtime.start(launch(['sleep', '30']));
  const session = await runtime.exec(c.id, { command: ['sh'], tty: true, stdin: true });
  const out = readAll(session.stdout);
  // Typed as a terminal sends it: CR for Enter, DEL to erase the mistyped "x".
  session.stdin?.write('echo $((6*7))x\x7f\recho two >&2\rexit 4\r');
  expect(await session.exitCode).toBe(4);
  // The echo comes at once, the shell's answers when it gets to them: order between them varies.
  const shown = await out;
  expect(shown.startsWith('echo $((6*7))x\b \b\r\n')).toBe(true);
  for (const piece of ['\r\n42\r\n', 'echo two >&2\r\n', '\r\ntwo\r\n', 'exit 4\r\n']) {
    expect(shown).toContain(piece);
  }
  expect(shown.replace(/\r\n/g, '')).not.toContain('\n');
  expect(await readAll(session.stderr)).toBe('');
  await runtime.stop(c.id, 1);
  await runtime.remove(c.id);
});

it('follows a log with multi-byte characters without losing or mangling lines', async () => {
  // Lines over time, so `follow` reads them in several polls after the first read.
  const c = await runtime.start(
    launch(['sh', '-c', 'for i in 1 2 3 4 5 6; do echo "héllo wörld ✓ $i"; sleep 0.3; done']),
  );
  const text = await readAll(await runtime.logs(c.id, { follow: true, timestamps: true }));
  const lines = text.split('\n').filter(Boolean);
  expect(lines.map((l) => l.slice(l.indexOf(' ') + 1))).toEqual(
    [1, 2, 3, 4, 5, 6].map((i) => `héllo wörld ✓ ${i}`),
  );
  // The timestamps whole too (a character offset taken for a byte offset cut into them).
  for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
});
