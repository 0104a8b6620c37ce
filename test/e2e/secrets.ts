import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A secret and where it came from, for a failure message that does not print the secret. */
export interface KnownSecret {
  readonly source: string;
  readonly value: string;
}

/**
 * The distinctive pieces of every private key under `paths` (files or directories, recursively):
 * each base64 body line of a PEM or OpenSSH private key, and the `client-key-data` of a kubeconfig.
 * Any one of them showing up in captured text means a key leaked.
 */
export function secretsOf(paths: readonly string[]): KnownSecret[] {
  const found: KnownSecret[] = [];
  const visit = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
      return;
    }
    const text = readFileSync(path, 'utf8');
    for (const block of text.matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/g)) {
      for (const line of (block[1] ?? '').split('\n').map((l) => l.trim())) {
        if (line.length >= 40) found.push({ source: path, value: line });
      }
    }
    for (const m of text.matchAll(/client-key-data:\s*(\S+)/g))
      found.push({ source: path, value: m[1] ?? '' });
  };
  for (const p of paths) visit(p);
  return found.filter((s) => s.value.length >= 40);
}

/** Which secrets occur in `text` (by source file, never the value itself). */
export function findSecrets(text: string, secrets: readonly KnownSecret[]): string[] {
  return [...new Set(secrets.filter((s) => text.includes(s.value)).map((s) => s.source))];
}
