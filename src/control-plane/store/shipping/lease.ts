import type { S3Api } from '../../../aws/s3.js';
import { leaseKey, leasePrefix, parseLeases, type StateTarget, s3Url } from './layout.js';

/** What a lease object says (JSON): who claimed the generation, and when. */
export interface LeaseRecord {
  readonly generation: number;
  readonly holder: string;
  readonly claimedAt: string;
}

/** The generations claimed so far, ascending. */
export async function listGenerations(s3: S3Api, target: StateTarget): Promise<number[]> {
  return parseLeases(await s3.listKeys(target.ref, leasePrefix(target)));
}

/**
 * Claims the next writer generation: creates `store/lease/<newest + 1>` with If-None-Match: *, so
 * of two masters claiming at once exactly one gets each number (the loser tries the next one and
 * thereby fences the winner, as a later master must). The claim is read back and must name
 * `holder` (moto checks the condition without a lock; real S3 is atomic). Bounded attempts.
 */
export async function claimGeneration(
  s3: S3Api,
  target: StateTarget,
  holder: string,
  now: () => Date = () => new Date(),
): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const generation = ((await listGenerations(s3, target)).at(-1) ?? 0) + 1;
    const record: LeaseRecord = { generation, holder, claimedAt: now().toISOString() };
    const key = leaseKey(target, generation);
    const put = await s3.putBytes(target.ref, key, Buffer.from(`${JSON.stringify(record)}\n`), {
      ifNoneMatch: '*',
    });
    if (!put.ok) continue;
    const back = await readLease(s3, target, generation);
    if (back?.holder === holder) return generation;
  }
  throw new Error(
    `could not claim a store generation under ${s3Url(target, leasePrefix(target))} in 20 attempts: other masters keep claiming; stop them`,
  );
}

/** The lease of `generation`, or undefined when nobody claimed it. */
export async function readLease(
  s3: S3Api,
  target: StateTarget,
  generation: number,
): Promise<LeaseRecord | undefined> {
  const bytes = await s3.getBytes(target.ref, leaseKey(target, generation));
  if (!bytes) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as LeaseRecord;
  } catch {
    // A lease that is no JSON still fences: somebody claimed the number.
    return { generation, holder: '(unreadable)', claimedAt: '' };
  }
}

/** True when a newer writer claimed the generation after `generation`: this one must stop writing. */
export async function isFenced(s3: S3Api, target: StateTarget, generation: number): Promise<boolean> {
  return (await s3.getBytes(target.ref, leaseKey(target, generation + 1))) !== undefined;
}
