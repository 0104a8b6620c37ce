import { PassThrough, type Readable, Writable } from 'node:stream';

/** A line longer than this is passed on unfinished (a terminal's canonical mode holds 4096). */
const MAX_LINE = 4096;
const CR = 0x0d;
const LF = 0x0a;
const ERASE = [0x7f, 0x08];
const INTERRUPT = 0x03;
const EOF = 0x04;

/** What {@link cookedTerminal} gives the exec session. */
export interface CookedTerminal {
  /** What the client types goes here. */
  readonly input: Writable;
  /** The command's output and the echo, as a terminal shows them (stderr merged). */
  readonly output: Readable;
}

/**
 * A terminal's line discipline in canonical mode, for a command that runs on pipes (the process
 * runtime has no pseudo-terminal): typed keys are echoed, CR becomes NL (icrnl), Backspace/DEL
 * erase, a line reaches the command when it ends, Ctrl-C calls `interrupt` and Ctrl-D on an empty
 * line ends its stdin; output has NL turned into CR NL (onlcr). No job control, no raw mode.
 */
export function cookedTerminal(
  stdin: Writable,
  stdout: Readable,
  stderr: Readable,
  interrupt: () => void,
): CookedTerminal {
  const output = new PassThrough();
  const show = (text: Buffer) => {
    if (!output.writableEnded)
      output.write(Buffer.from(text.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1'));
  };
  let open = 2;
  for (const s of [stdout, stderr]) {
    s.on('data', (c: Buffer) => show(c));
    s.once('end', () => {
      if (--open === 0) output.end();
    });
  }
  let line: number[] = [];
  const send = () => {
    if (!stdin.writableEnded) stdin.write(Buffer.from(line));
    line = [];
  };
  const input = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const byte of chunk) {
        if (byte === CR || byte === LF) {
          line.push(LF);
          show(Buffer.from('\n'));
          send();
        } else if (ERASE.includes(byte)) {
          if (line.length > 0) {
            line.pop();
            show(Buffer.from('\b \b'));
          }
        } else if (byte === INTERRUPT) {
          line = [];
          show(Buffer.from('^C\n'));
          interrupt();
        } else if (byte === EOF) {
          if (line.length === 0) stdin.end();
          else send();
        } else {
          line.push(byte);
          show(Buffer.from([byte]));
          if (line.length >= MAX_LINE) send();
        }
      }
      done();
    },
    final(done) {
      if (line.length > 0) send();
      stdin.end();
      done();
    },
  });
  stdin.on('error', () => undefined);
  return { input, output };
}
