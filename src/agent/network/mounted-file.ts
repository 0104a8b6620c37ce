import { readFile, writeFile } from 'node:fs/promises';

/**
 * Writes a file that is bind-mounted into a pod's containers (its /etc/hosts, /etc/resolv.conf),
 * only when its text changes. It must be written in place — a file renamed over it would leave the
 * mount on the old inode — and an in-place write truncates first, so a reader in the pod can see it
 * empty for a moment: rewritten on every sync pass, name lookups in the pod failed now and then.
 */
export async function writeMountedFile(path: string, text: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current !== text) await writeFile(path, text);
}
