/** What replaces a secret in text that leaves the library (errors, events, logs). */
export const REDACTED = '[REDACTED]';

/** Lines of a multi-line secret shorter than this are left alone (`-----END ...` lines, blank lines). */
const MIN_FRAGMENT = 12;

/**
 * Replaces every occurrence of each secret in `text` with `[REDACTED]`. Multi-line secrets (PEM
 * keys) are also redacted line by line, so a tail of stderr that holds only part of a key leaks
 * none of it; base64 forms of each secret (as in a kubeconfig) are redacted too.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    needles.add(secret);
    needles.add(Buffer.from(secret, 'utf8').toString('base64'));
    for (const line of secret.split(/\r?\n/)) {
      if (line.trim().length >= MIN_FRAGMENT) needles.add(line.trim());
    }
  }
  // Longest first, so a whole secret is replaced before its fragments are.
  let out = text;
  for (const needle of [...needles].sort((a, b) => b.length - a.length)) {
    out = out.split(needle).join(REDACTED);
  }
  return out;
}

/** The last `lines` non-empty lines of `text`. */
export function tail(text: string, lines = 20): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join('\n');
}
