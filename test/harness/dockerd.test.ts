import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Dockerd, startDockerd } from './dockerd.js';

let dockerd: Dockerd;
beforeAll(async () => {
  dockerd = await startDockerd();
});
afterAll(async () => {
  await dockerd?.stop();
});

it('starts a private dockerd with the local busybox image', async () => {
  const images = await dockerd.api.json<{ RepoTags: string[] }[]>('GET', '/images/json');
  expect(images.flatMap((i) => i.RepoTags)).toContain('local/busybox:latest');
  const c = await dockerd.api.json<{ Id: string }>('POST', '/containers/create', {
    body: { Image: dockerd.busyboxImage, Cmd: ['sh', '-c', 'echo hi; exit 3'] },
  });
  await dockerd.api.json('POST', `/containers/${c.Id}/start`);
  const waited = await dockerd.api.json<{ StatusCode: number }>('POST', `/containers/${c.Id}/wait`);
  expect(waited.StatusCode).toBe(3);
});
