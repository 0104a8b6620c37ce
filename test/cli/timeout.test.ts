import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/support/duration.js';
import { EXIT_TIMEOUT, withDeadline } from '../../src/cli/support/timeout.js';
import { RecordingEvents } from '../../src/events.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { writeTestSpec } from '../support/aws-spec.js';
import { runCli } from '../support/cli.js';

describe('parseDuration (Go durations, as kubectl --timeout)', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['2m3.5s', 123_500],
    ['1500us', 2],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'm', '10x', '-5s', '0s', '1s ', '5d', '100ns', '1000h'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        exitCode: 2,
        message: expect.stringContaining(`--timeout "${text}"`),
      }),
    );
  });
});

describe('withDeadline', () => {
  it('aborts the signal and names the phase that was running', async () => {
    const controller = new AbortController();
    const events = new RecordingEvents();
    const run = withDeadline({ ms: 30, text: '30ms', controller }, events, async (sink) => {
      sink.emit({ code: 'phase.start', level: 'info', message: 'outer' });
      sink.emit({ code: 'phase.start', level: 'info', message: 'wait for instances' });
      await new Promise((_, reject) =>
        controller.signal.addEventListener('abort', () => {
          // As runPhase does: the aborted phase fails before the error reaches the deadline.
          sink.emit({ code: 'phase.fail', level: 'error', message: 'aborted' });
          reject(new Error('aborted'));
        }),
      );
    });
    await expect(run).rejects.toMatchObject({
      code: 'TIMEOUT',
      exitCode: EXIT_TIMEOUT,
      message: expect.stringMatching(
        /^timed out after 30ms while waiting for: wait for instances; .*run the same command again/,
      ),
    });
    expect(events.codes()).toEqual(['phase.start', 'phase.start', 'phase.fail']);
  });

  it('leaves errors and results alone when the deadline did not pass', async () => {
    const controller = new AbortController();
    const events = new RecordingEvents();
    await expect(withDeadline({ ms: 60_000, controller }, events, async () => 7)).resolves.toBe(7);
    await expect(
      withDeadline({ ms: 60_000, controller }, events, async () => {
        throw new Error('own failure');
      }),
    ).rejects.toThrow('own failure');
    expect(controller.signal.aborted).toBe(false);
  });
});

describe('--timeout on moto_server', { timeout: 600_000 }, () => {
  let moto: Moto;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), `tugboat-kubecfg-timeout-${process.pid}-`));
    env = {
      ...process.env,
      ...moto.env,
      TUGBOAT_STATE_DIR: join(dir, 'state'),
      KUBECONFIG: join(dir, 'kube'),
    };
    delete env.AWS_PROFILE;
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stops create with exit 124 naming what it waited for; the re-run finishes; delete takes it too', async () => {
    const spec = writeTestSpec(dir, { name: 'slow', desired: 2 });
    const cli = (...argv: string[]) => runCli(argv, { env, cwd: dir });
    const bad = await cli('create', '-f', spec, '--no-bootstrap', '--timeout', '10');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout "10" is not a duration');

    const cut = await cli('-o', 'json', 'create', '-f', spec, '--no-bootstrap', '--timeout', '1500ms');
    expect(cut.code, cut.stderr).toBe(EXIT_TIMEOUT);
    // The phase it names is the unit test's above; here the deadline may pass before the first
    // phase starts (a loaded CI machine takes over 1.5 s to load the CLI and the AWS SDK).
    expect(cut.stderr).toMatch(/timed out after 1500ms (while waiting for: \S|before the command finished)/);
    expect(JSON.parse(cut.stdout).error).toMatchObject({ code: 'TIMEOUT', exitCode: 124 });

    const again = await cli('-o', 'json', 'create', '-f', spec, '--no-bootstrap', '--timeout', '10m');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).hosts).toHaveLength(3);
    const deleted = await cli('delete', 'slow', '--yes', '--timeout', '10m');
    expect(deleted.code, deleted.stderr).toBe(0);
  });
});
