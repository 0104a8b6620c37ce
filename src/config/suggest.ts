/** "Did you mean" suggestions for misspelt keys and values. */

/** Levenshtein edit distance (insertions, deletions, substitutions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/**
 * The closest candidate to `input`, if it is close enough to be a plausible typo (at most a third
 * of the length, minimum 2 edits) or differs only in case or a plural `s`. Ties keep the first.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(input, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(input.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** `did you mean "x"?` when there is a close candidate, else `use one of a, b, c`. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const best = suggest(input, candidates);
  if (best !== undefined) return `did you mean "${best}"?`;
  return `use one of ${candidates.join(', ')}`;
}
