/**
 * The pod sandbox ("pause") image, built on the node itself, so hosts need no registry: one
 * static ELF program of a few dozen bytes that blocks in a syscall forever, imported into Docker
 * from a tarball made here. It holds the pod's namespaces and does nothing else; the pod's
 * containers share only its network namespace, so it has no children to reap. It ignores SIGTERM
 * (PID 1 without handlers), and the agent removes sandboxes with SIGKILL (`docker rm -f`).
 */
import { Readable } from 'node:stream';
import type { DockerApi } from './docker-api.js';

/** The image name; the tag changes whenever the program does. */
export const PAUSE_IMAGE = 'tugboat.local/pause:1';
/** The program's path inside the image (its entrypoint). */
export const PAUSE_COMMAND = ['/pause'] as const;

const BASE = 0x400000;
const HEADERS = 64 + 56;

function words(values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  for (const [i, v] of values.entries()) out.writeUInt32LE(v, i * 4);
  return out;
}

/**
 * The machine code of `for (;;) wait-for-a-signal;` per architecture:
 * - x86-64: `mov eax, 34 (pause); syscall; jmp back`.
 * - arm64 (no pause syscall): `ppoll(NULL, 0, NULL, NULL)` (syscall 73) in a loop.
 */
const CODE: Record<string, { machine: number; code: Buffer }> = {
  x64: { machine: 0x3e, code: Buffer.from([0xb8, 0x22, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7]) },
  arm64: {
    machine: 0xb7,
    code: words([
      0xd2800000, // mov x0, #0
      0xd2800001, // mov x1, #0
      0xd2800002, // mov x2, #0
      0xd2800003, // mov x3, #0
      0xd2800928, // mov x8, #73 (ppoll)
      0xd4000001, // svc #0
      0x17fffffa, // b back 6 instructions
    ]),
  },
};

/** A static ELF64 executable (one read+execute segment) for `arch` (`process.arch` names). */
export function buildPauseBinary(arch: string = process.arch): Buffer {
  const target = CODE[arch];
  if (!target)
    throw new Error(`no pod sandbox program for architecture ${arch}: only x64 and arm64 are built`);
  const size = HEADERS + target.code.length;
  const elf = Buffer.alloc(size);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // ELF, 64-bit, little-endian, version 1
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(target.machine, 18);
  elf.writeUInt32LE(1, 20); // EV_CURRENT
  elf.writeBigUInt64LE(BigInt(BASE + HEADERS), 24); // entry
  elf.writeBigUInt64LE(64n, 32); // program headers right after this header
  elf.writeUInt16LE(64, 52); // header size
  elf.writeUInt16LE(56, 54); // program header size
  elf.writeUInt16LE(1, 56); // one program header
  // PT_LOAD of the whole file at BASE, read + execute.
  elf.writeUInt32LE(1, 64);
  elf.writeUInt32LE(5, 68);
  elf.writeBigUInt64LE(0n, 72);
  elf.writeBigUInt64LE(BigInt(BASE), 80);
  elf.writeBigUInt64LE(BigInt(BASE), 88);
  elf.writeBigUInt64LE(BigInt(size), 96);
  elf.writeBigUInt64LE(BigInt(size), 104);
  elf.writeBigUInt64LE(0x1000n, 112);
  target.code.copy(elf, HEADERS);
  return elf;
}

/** A ustar archive holding one executable file (what `docker import` reads). */
export function buildSingleFileTar(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000755\0', 100); // mode
  header.write('0000000\0', 108); // uid
  header.write('0000000\0', 116); // gid
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136); // mtime: fixed, so the tarball is the same every time
  header.write('        ', 148); // checksum placeholder
  header.write('0', 156); // regular file
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/** Imports the pause image into the node's Docker unless it is there already. */
export async function ensurePauseImage(api: DockerApi): Promise<void> {
  const tar = buildSingleFileTar('pause', buildPauseBinary());
  const [repo, tag] = PAUSE_IMAGE.split(':');
  const res = await api.stream('POST', '/images/create', {
    query: { fromSrc: '-', repo, tag, changes: `ENTRYPOINT ${JSON.stringify(PAUSE_COMMAND)}` },
    stream: Readable.from([tar]),
  });
  let text = '';
  for await (const chunk of res) text += chunk;
  const failure = text
    .split('\n')
    .map((l) => {
      try {
        return l.trim() ? (JSON.parse(l) as { error?: string }) : {};
      } catch {
        return {};
      }
    })
    .find((m) => m.error);
  if (failure) throw new Error(`building the pod sandbox image ${PAUSE_IMAGE} failed: ${failure.error}`);
}
