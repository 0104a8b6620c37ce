import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  liveGroupMembers,
  processRuntimeDir,
  processStartTicks,
  sweepProcessContainers,
} from '../../../src/agent/runtime/process-records.js';
import { ProcessRuntime } from '../../../src/agent/runtime/process-runtime.js';
import type { ContainerLaunch } from '../../../src/agent/runtime/types.js';
import { isRunning } from '../../../src/local/processes.js';
import { shellLaunch } from '../../support/shell-launch.js';

// An agent that dies without close() (kill -9, OOM) leaves its pods' processes running. A new
// runtime on the same data directory must find and stop them; `local down` sweeps the same way.

const root = mkdtempSync(join(tmpdir(), `tugboat-proc-recover-${process.pid}-`));
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(root, { recursive: true, force: true });
});

const launch = (name: string, script: string): ContainerLaunch => shellLaunch(name, script);

/** The pid the runtime recorded for a container (the process group leader). */
function recordedPid(dataDir: string, id: string): number {
  return Number(readFileSync(join(processRuntimeDir(dataDir), id, 'process'), 'utf8').split(' ')[0]);
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!isRunning(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

it('a new runtime stops what a dead agent left running and reports it exited (137)', async () => {
  const dataDir = join(root, 'restart');
  const dead = new ProcessRuntime({ dataDir });
  // A shell with a background child: the whole process group must go, not only the leader.
  const a = await dead.start(launch('a', 'sleep 300 & sleep 300; wait'));
  const b = await dead.start(launch('b', 'exit 4'));
  const leader = recordedPid(dataDir, a.id);
  started.push(leader);
  for (
    let i = 0;
    i < 100 && liveGroupMembers({ pid: leader, startTicks: processStartTicks(leader) ?? 0 }).length < 3;
    i++
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const members = liveGroupMembers({ pid: leader, startTicks: processStartTicks(leader) ?? 0 });
  expect(members.length).toBeGreaterThanOrEqual(3);
  for (let i = 0; i < 100 && (await dead.list()).find((c) => c.id === b.id)?.state !== 'exited'; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  // `dead` is dropped without close(), as a killed agent would be.

  const next = new ProcessRuntime({ dataDir });
  const stopped = await next.recover();
  expect(stopped.map((c) => c.id)).toEqual([a.id]);
  for (const pid of members) expect(await gone(pid)).toBe(true);
  const listed = await next.list();
  expect(listed.find((c) => c.id === a.id)).toMatchObject({
    state: 'exited',
    exitCode: 137,
    podName: 'a',
    podUid: 'uid-a',
    containerName: 'main',
  });
  // A container that had finished keeps its real exit code.
  expect(listed.find((c) => c.id === b.id)).toMatchObject({ state: 'exited', exitCode: 4 });
  // The pod sync can remove them as usual.
  await next.remove(a.id);
  expect((await next.list()).map((c) => c.id)).toEqual([b.id]);
  await next.close();
});

it('never signals a process that reuses a recorded pid (start time differs)', async () => {
  const dataDir = join(root, 'reuse');
  const other = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  const pid = other.pid ?? 0;
  started.push(pid);
  const ticks = processStartTicks(pid) ?? 0;
  const dir = join(processRuntimeDir(dataDir), 'c1');
  mkdirSync(dir, { recursive: true });
  const container = {
    id: 'c1',
    podNamespace: 'default',
    podName: 'old',
    podUid: 'uid-old',
    containerName: 'main',
    attempt: 0,
    image: 'x',
    imageId: 'process://x',
    state: 'running',
  };
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ container, pid, startTicks: ticks - 1 }));
  writeFileSync(join(dir, 'process'), `${pid} ${ticks - 1}\n`);
  expect(await sweepProcessContainers(dataDir, 100)).toEqual([]);
  const runtime = new ProcessRuntime({ dataDir });
  expect(await runtime.recover()).toEqual([]);
  expect(isRunning(pid)).toBe(true);
  // Gone while no agent watched: exited, exit code unknown (255).
  expect((await runtime.list())[0]).toMatchObject({ id: 'c1', state: 'exited', exitCode: 255 });
  process.kill(pid, 'SIGKILL');
});

it('skips and removes unreadable records instead of failing', async () => {
  const dataDir = join(root, 'garbage');
  for (const [id, text] of [
    ['bad-json', '{'],
    ['pid-one', JSON.stringify({ container: { id: 'pid-one', podUid: 'u' }, pid: 1, startTicks: 1 })],
    ['null', 'null'],
  ] as const) {
    mkdirSync(join(processRuntimeDir(dataDir), id), { recursive: true });
    writeFileSync(join(processRuntimeDir(dataDir), id, 'state.json'), text);
  }
  expect(await sweepProcessContainers(dataDir, 100)).toEqual([]);
  const runtime = new ProcessRuntime({ dataDir });
  expect(await runtime.recover()).toEqual([]);
  expect(await runtime.list()).toEqual([]);
  expect(isRunning(1)).toBe(true);
});

it('sweepProcessContainers (local down) stops every recorded live group and names them', async () => {
  const dataDir = join(root, 'sweep');
  const dead = new ProcessRuntime({ dataDir });
  const c = await dead.start(launch('s', 'sleep 300'));
  const pid = recordedPid(dataDir, c.id);
  started.push(pid);
  const stopped = await sweepProcessContainers(dataDir, 1_000);
  expect(stopped.map((x) => `${x.podName}/${x.containerName}`)).toEqual(['s/main']);
  expect(await gone(pid)).toBe(true);
  expect(await sweepProcessContainers(dataDir, 100)).toEqual([]);
});

/** The `PID STARTTICKS` lines of a container's process file (its group first, then exec sessions'). */
function recordedLines(dataDir: string, id: string): number[][] {
  return readFileSync(join(processRuntimeDir(dataDir), id, 'process'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number));
}

it('records exec sessions while they run, and a new runtime stops those a dead agent left', async () => {
  const dataDir = join(root, 'exec');
  const dead = new ProcessRuntime({ dataDir });
  const c = await dead.start(launch('e', 'sleep 300'));
  started.push(recordedPid(dataDir, c.id));
  // One session that ends by itself (its line goes), one that would run on (its line stays).
  const quick = await dead.exec(c.id, { command: ['sh', '-c', 'exit 0'] });
  const long = await dead.exec(c.id, { command: ['sleep', '300'] });
  expect(await quick.exitCode).toBe(0);
  let lines = recordedLines(dataDir, c.id);
  for (let i = 0; i < 100 && lines.length !== 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
    lines = recordedLines(dataDir, c.id);
  }
  expect(lines).toHaveLength(2);
  const [, execLine = []] = lines;
  const execPid = execLine[0] ?? 0;
  started.push(execPid);
  expect(execLine).toEqual([execPid, processStartTicks(execPid)]);
  expect((await dead.list())[0]?.execPids).toEqual([execPid]);
  expect(
    JSON.parse(readFileSync(join(processRuntimeDir(dataDir), c.id, 'state.json'), 'utf8')).execs,
  ).toEqual([{ pid: execPid, startTicks: processStartTicks(execPid) }]);
  // `dead` is dropped without close(): its exec'd process keeps running, an orphan.
  long.stdout.resume();
  long.stderr.resume();

  const next = new ProcessRuntime({ dataDir });
  const stopped = await next.recover();
  expect(stopped.map((x) => x.id)).toEqual([c.id]);
  expect(await gone(execPid)).toBe(true);
  expect(await gone(lines[0]?.[0] ?? 0)).toBe(true);
  await next.close();
});

it('stops the exec sessions of a container that ended while no agent watched', async () => {
  const dataDir = join(root, 'exec-only');
  // The container's own group is gone; its exec session still runs.
  const ended = spawn('true', [], { detached: true, stdio: 'ignore' });
  const endedPid = ended.pid ?? 0;
  const endedTicks = processStartTicks(endedPid) ?? 1;
  await new Promise((r) => ended.once('exit', r));
  const exec = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  const execPid = exec.pid ?? 0;
  started.push(execPid);
  const execs = [{ pid: execPid, startTicks: processStartTicks(execPid) ?? 0 }];
  const container = { ...idleContainer('c2'), state: 'running' };
  for (const [name, runtimeDir] of [
    ['sweep', join(dataDir, 'a')],
    ['recover', join(dataDir, 'b')],
  ] as const) {
    const dir = join(processRuntimeDir(runtimeDir), 'c2');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'state.json'),
      JSON.stringify({ container, pid: endedPid, startTicks: endedTicks, execs }),
    );
    if (name === 'sweep') {
      expect((await sweepProcessContainers(runtimeDir, 1_000)).map((x) => x.id)).toEqual(['c2']);
      expect(await gone(execPid)).toBe(true);
      // The next record names a live session again (a new one).
      const again = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
      started.push(again.pid ?? 0);
      execs[0] = { pid: again.pid ?? 0, startTicks: processStartTicks(again.pid ?? 0) ?? 0 };
      continue;
    }
    const runtime = new ProcessRuntime({ dataDir: runtimeDir });
    expect((await runtime.recover()).map((x) => x.id)).toEqual(['c2']);
    expect(await gone(execs[0]?.pid ?? 0)).toBe(true);
    // Its own group was not running: exit code unknown, not a kill.
    expect((await runtime.list())[0]).toMatchObject({ id: 'c2', state: 'exited', exitCode: 255 });
  }
});

function idleContainer(id: string) {
  return {
    id,
    podNamespace: 'default',
    podName: 'gone',
    podUid: 'uid-gone',
    containerName: 'main',
    attempt: 0,
    image: 'x',
    imageId: 'process://x',
  };
}
