import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRunning } from '../../src/local/processes.js';
import { readLocalState } from '../../src/local/state.js';

/** The commands of the README's quick start (the sh block between the quick-start markers). */
function quickStartCommands(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const block = readme.split('<!-- quick-start:begin -->')[1]?.split('<!-- quick-start:end -->')[0] ?? '';
  const sh = block.split('```sh')[1]?.split('```')[0] ?? '';
  return sh
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

// Runs the README's quick start as written (after `npm test` has built dist/), with its own HOME,
// state dir and kubeconfig, and no Docker daemon: `local up` then picks the process runtime.
describe('README quick start: tugboat local up / down', () => {
  const home = mkdtempSync(join(tmpdir(), 'tugboat-quickstart-'));
  const env = {
    ...process.env,
    HOME: home,
    TUGBOAT_HOME: join(home, '.tugboat'),
    KUBECONFIG: join(home, '.kube', 'config'),
    DOCKER_HOST: `unix://${join(home, 'no-docker.sock')}`,
    CI: 'true',
  };
  const run = (command: string) =>
    execFileSync('sh', ['-c', command], {
      env,
      encoding: 'utf8',
      timeout: 180_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  afterAll(() => {
    try {
      run('node bin/tugboat.js local down');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('brings up a cluster that runs a Deployment, shows its logs, and removes everything', () => {
    const commands = quickStartCommands();
    expect(commands.length).toBeGreaterThanOrEqual(4);
    expect(commands[0]).toContain('local up');
    expect(commands.at(-1)).toContain('local down');
    const outputs: string[] = [];
    let pids: number[] = [];
    for (const command of commands) {
      if (command.includes('local down')) {
        const state = readLocalState(env.TUGBOAT_HOME ? join(env.TUGBOAT_HOME, 'local') : '');
        pids = [state?.controlPlane.pid ?? 0, ...(state?.nodes.map((n) => n.pid) ?? [])];
        expect(pids.every((p) => p > 0 && isRunning(p))).toBe(true);
      }
      outputs.push(run(command));
    }
    const all = outputs.join('\n');
    expect(all).toMatch(/local-1\s+Ready/);
    expect(all).toMatch(/local-2\s+Ready/);
    expect(all).toContain('successfully rolled out');
    expect(all).toContain('hello from tugboat');
    // Everything `local up` started is gone, and kubectl no longer has the context.
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    expect(readFileSync(env.KUBECONFIG, 'utf8')).not.toContain('tugboat-local');
  });
});
