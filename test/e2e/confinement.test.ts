import { execFileSync } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { checkConfinement, listLinks } from './confinement.js';

const dummy = `tbdum${process.pid % 100000}`;

afterEach(() => {
  if (listLinks().includes(dummy)) execFileSync('ip', ['link', 'del', dummy]);
});

it('runs in a network namespace that holds nothing but loopback', () => {
  expect(listLinks()).toEqual(['lo']);
  const report = checkConfinement();
  expect(report.links).toEqual(['lo']);
  const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  for (const line of routes.split('\n').filter(Boolean)) expect(line).toMatch(/127\.|^local |^broadcast /);
});

it('refuses an interface the test did not create, and accepts it once claimed', () => {
  execFileSync('ip', ['link', 'add', dummy, 'type', 'bridge']);
  expect(() => checkConfinement()).toThrow(new RegExp(`interfaces it did not create \\(${dummy}\\)`));
  expect(checkConfinement((l) => l === dummy).links).toContain(dummy);
});

it('refuses to run without the runner', () => {
  const saved = process.env.TUGBOAT_E2E_CONFINED;
  delete process.env.TUGBOAT_E2E_CONFINED;
  try {
    expect(() => checkConfinement()).toThrow(/npm run test:e2e/);
  } finally {
    process.env.TUGBOAT_E2E_CONFINED = saved;
  }
});
