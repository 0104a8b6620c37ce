import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { cookedTerminal } from '../../../src/agent/runtime/line-discipline.js';

function terminal() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let interrupts = 0;
  const tty = cookedTerminal(stdin, stdout, stderr, () => {
    interrupts++;
  });
  let shown = '';
  tty.output.on('data', (c: Buffer) => {
    shown += c.toString('utf8');
  });
  let sent = '';
  stdin.on('data', (c: Buffer) => {
    sent += c.toString('utf8');
  });
  return { tty, stdin, stdout, stderr, shown: () => shown, sent: () => sent, interrupts: () => interrupts };
}

const tick = () => new Promise((r) => setImmediate(r));

it('echoes keys, sends a line only when it ends, erases, maps CR to NL and NL to CR NL', async () => {
  const t = terminal();
  t.tty.input.write('ls -x\x7fl');
  await tick();
  expect(t.sent()).toBe('');
  expect(t.shown()).toBe('ls -x\b \bl');
  t.tty.input.write('\r');
  t.stdout.write('a\nb\n');
  t.stderr.write('oops\n');
  await tick();
  expect(t.sent()).toBe('ls -l\n');
  expect(t.shown()).toBe('ls -x\b \bl\r\na\r\nb\r\noops\r\n');
});

it('interrupts on Ctrl-C (dropping the line) and ends stdin on Ctrl-D at the start of a line', async () => {
  const t = terminal();
  t.tty.input.write('half\x03');
  await tick();
  expect(t.interrupts()).toBe(1);
  expect(t.sent()).toBe('');
  t.tty.input.write('ok\x04');
  await tick();
  expect(t.sent()).toBe('ok');
  expect(t.stdin.writableEnded).toBe(false);
  t.tty.input.write('\x04');
  await tick();
  expect(t.stdin.writableEnded).toBe(true);
});

it("ends its output once both of the command's streams have ended", async () => {
  const t = terminal();
  let ended = false;
  t.tty.output.on('end', () => {
    ended = true;
  });
  t.stdout.end('last\n');
  await tick();
  expect(ended).toBe(false);
  t.stderr.end();
  await tick();
  await tick();
  expect(ended).toBe(true);
  expect(t.shown()).toBe('last\r\n');
});
