import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type PreStopTarget, runPreStopHook } from '../../src/agent/pre-stop.js';
import type { ExecOptions, ExecSession, Runtime } from '../../src/agent/runtime/types.js';
import type { Container } from '../../src/kube/index.js';

/** A runtime whose exec answers with `code` and `output`, recording the commands it was given. */
function execRuntime(code: number, output = ''): { runtime: Runtime; commands: string[][] } {
  const commands: string[][] = [];
  const runtime = {
    async exec(_id: string, options: ExecOptions): Promise<ExecSession> {
      commands.push([...options.command]);
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      stdout.end(output);
      stderr.end();
      // As a real session: the exit code comes after the output has been read.
      const exitCode = new Promise<number>((r) => setTimeout(() => r(code), 20));
      return { stdout, stderr, resize: async () => undefined, exitCode };
    },
  } as unknown as Runtime;
  return { runtime, commands };
}

/** A target on a fake clock: `sleep` advances it, so the grace arithmetic is checked without waiting. */
function target(container: Container, graceSeconds: number, runtime = execRuntime(0).runtime) {
  let now = 1_000_000;
  const slept: number[] = [];
  const t: PreStopTarget = {
    runtime,
    containerId: 'c1',
    podIP: '127.0.0.1',
    container,
    graceSeconds,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
  return { t, slept };
}

const web = (lifecycle?: Container['lifecycle']): Container => ({
  name: 'web',
  image: 'local/busybox',
  ports: [{ name: 'http', containerPort: 8080 }],
  ...(lifecycle ? { lifecycle } : {}),
});

describe('runPreStopHook', () => {
  it('without a hook: nothing runs and the whole grace period is left for the stop', async () => {
    const { t, slept } = target(web(), 30);
    expect(await runPreStopHook(t)).toEqual({ graceLeftSeconds: 30 });
    expect(slept).toEqual([]);
  });

  it('sleep: waits its seconds, and they come off the grace period', async () => {
    const { t, slept } = target(web({ preStop: { sleep: { seconds: 3 } } }), 10);
    expect(await runPreStopHook(t)).toEqual({ result: { ok: true, message: 'ok' }, graceLeftSeconds: 7 });
    expect(slept).toEqual([3_000]);
  });

  it('a hook that takes the whole grace period is cut there, and the stop still gets 2 s (the kubelet minimum)', async () => {
    const { t, slept } = target(web({ preStop: { sleep: { seconds: 60 } } }), 5);
    expect((await runPreStopHook(t)).graceLeftSeconds).toBe(2);
    expect(slept).toEqual([5_000]);
  });

  it('a deletion without grace (--grace-period=0) runs no hook', async () => {
    const { t, slept } = target(web({ preStop: { sleep: { seconds: 3 } } }), 0);
    expect(await runPreStopHook(t)).toEqual({ graceLeftSeconds: 0 });
    expect(slept).toEqual([]);
  });

  it('exec: runs the command in the container; a non-zero exit is a failed hook with its output', async () => {
    const { runtime, commands } = execRuntime(3, 'drain refused\n');
    const { t } = target(web({ preStop: { exec: { command: ['sh', '-c', 'drain-me'] } } }), 10, runtime);
    const outcome = await runPreStopHook(t);
    expect(commands).toEqual([['sh', '-c', 'drain-me']]);
    expect(outcome.result?.ok).toBe(false);
    expect(outcome.result?.message).toContain('exited with 3: drain refused');
    expect(outcome.graceLeftSeconds).toBe(10);
  });

  it('httpGet: asks the pod IP on the named port and path', async () => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.end('bye');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const container: Container = {
        ...web({ preStop: { httpGet: { path: '/shutdown', port: 'admin' } } }),
        ports: [{ name: 'admin', containerPort: port }],
      };
      const { t } = target(container, 10);
      expect((await runPreStopHook(t)).result).toMatchObject({ ok: true });
      expect(paths).toEqual(['/shutdown']);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
