import { open } from 'node:fs/promises';

/** The calls the store makes on a file it appends to: what a test's fake file layer must provide. */
export interface StoreFile {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  /** fdatasync(2): the written data (and the size) is on stable storage when this resolves. */
  datasync(): Promise<void>;
  /** fsync(2). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How the embedded store opens files it writes (log segments, snapshots, the meta file). The
 * default is node:fs; tests pass a layer that records or fails calls, to prove for example that no
 * write is acknowledged before its fdatasync (kill -9 cannot show that: the page cache survives it).
 */
export interface StoreFileSystem {
  /** Opens `path` with fs flags (`a`, `w`) and, when created, `mode`. */
  open(path: string, flags: string, mode: number): Promise<StoreFile>;
}

/** The real file system. */
export const nodeFileSystem: StoreFileSystem = {
  open: (path, flags, mode) => open(path, flags, mode),
};

/** Files hold Secrets: owner read/write only. */
export const FILE_MODE = 0o600;
/** The data directory: owner only. */
export const DIR_MODE = 0o700;
