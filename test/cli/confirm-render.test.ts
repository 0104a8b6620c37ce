import { describe, expect, it } from 'vitest';
import { confirm } from '../../src/cli/support/confirm.js';
import type { CliIO } from '../../src/cli/support/context.js';
import { createProgress, rendererFor } from '../../src/cli/support/render.js';
import { UsageError } from '../../src/errors.js';

function io(over: Partial<CliIO> = {}): CliIO & { err: string[] } {
  const err: string[] = [];
  return {
    stdout: () => {},
    stderr: (t) => err.push(t),
    interactive: false,
    env: {},
    cwd: '/',
    err,
    ...over,
  };
}

describe('confirm', () => {
  it('says yes with --yes, without asking', async () => {
    expect(await confirm(io(), 'delete cluster x?', true)).toBe(true);
  });

  it('refuses without a terminal unless --yes, saying so', async () => {
    const err = await confirm(io(), 'delete cluster x?', false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('delete cluster x: no terminal to ask on; pass --yes to confirm');
  });

  it('asks on a terminal and accepts only y or yes', async () => {
    const answers = ['y', 'YES', 'n', '', 'sure'];
    const tty = io({ interactive: true, ask: async () => answers.shift() ?? '' });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await confirm(tty, 'go?', false));
    expect(results).toEqual([true, true, false, false, false]);
  });
});

describe('progress rendering', () => {
  it('is animated on a terminal, plain in CI or pipes, silent under vitest', () => {
    const columns = process.stderr.columns;
    process.stderr.columns = 100;
    expect(rendererFor(io({ interactive: true }))).toBe('default');
    process.stderr.columns = 0;
    expect(rendererFor(io({ interactive: true })), 'a terminal without a width').toBe('simple');
    process.stderr.columns = columns;
    expect(rendererFor(io({ interactive: true, env: { CI: 'true' } }))).toBe('simple');
    expect(rendererFor(io())).toBe('simple');
    expect(rendererFor(io({ env: { VITEST: 'true' } }))).toBe('silent');
  });

  it('prints one task per phase with its elapsed time and stack events as output, on stderr', async () => {
    const out = io();
    const progress = createProgress(out, { output: 'text', debug: false });
    const e = progress.events;
    e.emit({
      code: 'phase.start',
      level: 'info',
      message: 'CloudFormation stack tugboat-x',
      data: { phase: 'stack' },
    });
    await new Promise((r) => setTimeout(r, 20));
    e.emit({ code: 'stack.event', level: 'info', message: 'Vpc (AWS::EC2::VPC) CREATE_COMPLETE' });
    e.emit({
      code: 'phase.end',
      level: 'info',
      message: 'CloudFormation stack tugboat-x',
      data: { phase: 'stack' },
    });
    e.emit({
      code: 'phase.start',
      level: 'info',
      message: 'instances InService',
      data: { phase: 'instances' },
    });
    e.emit({
      code: 'phase.fail',
      level: 'error',
      message: 'timed out\nmore detail',
      data: { phase: 'instances' },
    });
    e.emit({ code: 'keypair.imported', level: 'warn', message: 'a warning line' });
    e.emit({ code: 'sweep.retry', level: 'debug', message: 'hidden without --debug' });
    await progress.close();
    const text = out.err.join('');
    expect(text).toMatch(/✔ CloudFormation stack tugboat-x \[\d/);
    expect(text).toContain('Vpc (AWS::EC2::VPC) CREATE_COMPLETE');
    expect(text).toMatch(/✖ instances InService/);
    expect(text).toContain('warning: a warning line');
    expect(text).not.toContain('hidden without --debug');
    expect(text).not.toContain('more detail');
  });

  it('nested phases (update settles inside its replace phase) end with their outer task, and close() returns', async () => {
    const out = io();
    const progress = createProgress(out, { output: 'text', debug: false });
    const e = progress.events;
    const phase = (code: string, message: string) => e.emit({ code, level: 'info', message });
    phase('phase.start', 'replace instances with an old type or AMI');
    await new Promise((r) => setTimeout(r, 20));
    phase('phase.start', 'groups InService');
    e.emit({ code: 'groups.progress', level: 'info', message: '2/2 InService' });
    phase('phase.end', 'groups InService');
    phase('phase.start', 'bootstrap');
    phase('phase.end', 'bootstrap');
    phase('phase.end', 'replace instances with an old type or AMI');
    phase('phase.start', 'next');
    phase('phase.end', 'next');
    // Before the fix the outer task waited for an end that went to the nested phase: this hung.
    await progress.close();
    const text = out.err.join('');
    expect(text).toMatch(/✔ replace instances with an old type or AMI \[\d/);
    expect(text).toContain('2/2 InService');
    expect(text).toMatch(/✔ next/);
    expect(text).not.toMatch(/✔ groups InService/);
  });
});
