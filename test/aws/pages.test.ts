import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPages } from '../../src/aws/pages.js';
import { MAX_PAGES } from '../../src/aws/types.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';

// AWS paging through the SDK's paginators (#16: no hand-written NextToken loops), bounded.

let aws: MotoAws;

beforeAll(async () => {
  aws = await startMotoAws();
}, 120_000);

afterAll(async () => {
  await aws?.stop();
});

describe('collectPages', () => {
  it("follows the SDK paginator's NextToken over every page (25 parameters, 10 a page)", async () => {
    const names = Array.from(
      { length: 25 },
      (_, i) => `/tugboat/habits-pages/p${String(i).padStart(2, '0')}`,
    );
    for (const name of names)
      await aws.aws.ssm.createSecureString(name, 'v', { keyId: 'alias/aws/ssm', tags: {} });
    const listed = await aws.aws.ssm.listParameters('/tugboat/habits-pages/');
    expect(listed.map((p) => p.name).sort()).toEqual(names);
  }, 120_000);

  it('stops after MAX_PAGES pages of an endless paginator, and at the limit', async () => {
    let read = 0;
    async function* endless() {
      for (;;) {
        read++;
        yield { items: [read] };
      }
    }
    const all = await collectPages(endless(), (p) => p.items);
    expect(all).toHaveLength(MAX_PAGES);
    expect(read).toBe(MAX_PAGES);
    read = 0;
    expect(await collectPages(endless(), (p) => [p.items[0]!, p.items[0]!], 5)).toEqual([1, 1, 2, 2, 3]);
    expect(read).toBe(3);
  });
});
