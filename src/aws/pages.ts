import { MAX_PAGES } from './types.js';

/**
 * Collects the items of an SDK paginator (`paginate*`, which follows NextToken / Marker and
 * stops on a repeated token), reading at most {@link MAX_PAGES} pages and stopping once `limit`
 * items are in, so a broken endpoint cannot make it loop forever.
 */
export async function collectPages<P, T>(
  pages: AsyncIterable<P>,
  pick: (page: P) => readonly T[],
  limit = Number.POSITIVE_INFINITY,
): Promise<T[]> {
  const items: T[] = [];
  let read = 0;
  for await (const page of pages) {
    items.push(...pick(page));
    if (++read >= MAX_PAGES || items.length >= limit) break;
  }
  return items.slice(0, limit);
}
