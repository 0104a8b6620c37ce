import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectLocalVolumes } from '../../src/agent/local-volumes-gc.js';
import { ApiError } from '../../src/client/api-error.js';
import type { KubeClient } from '../../src/client/client.js';

// The agent's cleanup of its volumes dir against a stub API (the real flow is in local-path-volume.test.ts).
describe('collectLocalVolumes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tugboat-pv-gc-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const volumes = join(dataDir, 'volumes');
  const answers: Record<string, number | object> = {};
  const client = {
    get: async (_type: unknown, name: string) => {
      const a = answers[name] ?? 404;
      if (typeof a === 'number') throw new ApiError(a, undefined, `status ${a}`);
      return a;
    },
  } as unknown as KubeClient;

  it('removes gone and Released-with-Delete volumes in turns, keeps everything else', async () => {
    for (const n of [
      'pvc-1',
      'pvc-2',
      'pvc-3',
      'pvc-4',
      'kept-forbidden',
      'kept-bound',
      'kept-retain',
      'in-use',
    ]) {
      mkdirSync(join(volumes, n), { recursive: true });
      writeFileSync(join(volumes, n, 'f'), n);
    }
    answers['pvc-4'] = { status: { phase: 'Released' }, spec: { persistentVolumeReclaimPolicy: 'Delete' } };
    answers['kept-forbidden'] = 403;
    answers['kept-bound'] = { status: { phase: 'Bound' }, spec: { persistentVolumeReclaimPolicy: 'Delete' } };
    answers['kept-retain'] = {
      status: { phase: 'Released' },
      spec: { persistentVolumeReclaimPolicy: 'Retain' },
    };
    const outside = join(dataDir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious'), 'x');
    symlinkSync(outside, join(volumes, 'pvc-link'));
    const inUse = new Set([join(volumes, 'in-use')]);
    const cursor = { after: '' };
    const first = await collectLocalVolumes({ client, dataDir, inUse, maxPerPass: 3, cursor });
    expect(first.length).toBeLessThan(4);
    for (let pass = 0; pass < 3; pass++)
      await collectLocalVolumes({ client, dataDir, inUse, maxPerPass: 3, cursor });
    for (const n of ['pvc-1', 'pvc-2', 'pvc-3', 'pvc-4']) expect(existsSync(join(volumes, n)), n).toBe(false);
    for (const n of ['kept-forbidden', 'kept-bound', 'kept-retain', 'in-use', 'pvc-link'])
      expect(existsSync(join(volumes, n)), n).toBe(true);
    expect(existsSync(join(outside, 'precious'))).toBe(true);
  });

  it('does nothing without a volumes dir', async () => {
    expect(await collectLocalVolumes({ client, dataDir: join(dataDir, 'nope'), inUse: new Set() })).toEqual(
      [],
    );
  });
});
