import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, startMoto } from './moto.js';

describe('moto harness', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('serves the moto API on loopback and resets', async () => {
    expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${moto.endpoint}/moto-api/data.json`);
    expect(res.ok).toBe(true);
    await moto.reset();
  });
});
