/**
 * Master replacement on the emulator: a first master boots from "user-data" (empty store: it
 * creates the cluster's secrets), N ConfigMaps are written, then a second master boots as AWS's
 * replacement would. Splits the replacement's `boot --role master` by its events: secrets from
 * SSM, control-plane install, restore until /readyz, EIP + publish; and says when the first master
 * stopped serving (fenced). Agents' rejoin is not measured (no agents run here).
 * Run: `npx tsx bench/master-replacement.ts [configmaps=1000]`.
 */
import { loadavg } from 'node:os';
import { startMasterBootEnv } from '../test/support/master-boot-env.js';
import { tlsCaller } from '../test/support/tls-call.js';

const [count = 1000] = process.argv.slice(2).map(Number);
const env = await startMasterBootEnv('bmbench');
try {
  const first = await env.bootMaster('first');
  const { cert, caPem } = await env.adminOf();
  const call1 = tlsCaller(
    () => `https://127.0.0.1:${first.port}`,
    () => caPem,
  );
  const body = (name: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name },
    data: { v: 'x'.repeat(200) },
  });
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, k) =>
        call1('POST', '/api/v1/namespaces/default/configmaps', { cert, body: body(`cm-${i + k}`) }),
      ),
    );
  }
  await new Promise((r) => setTimeout(r, 1500));
  const started = Date.now();
  let firstStopped = 0;
  const watchFirst = (async () => {
    for (let i = 0; i < 6000 && !firstStopped; i++) {
      const r = await call1('GET', '/readyz').catch(() => ({ status: 0 }));
      if (r.status !== 200) firstStopped = Date.now();
      else await new Promise((res) => setTimeout(res, 100));
    }
  })();
  const second = await env.bootMaster('second');
  const done = Date.now();
  await watchFirst;
  const e = second.events;
  const ms = (a: number, b: number) => Math.round(b - a);
  console.log(
    JSON.stringify({
      configmaps: count,
      identityAndSecretsMs: ms(started, e.at('boot.secrets')),
      installMs: ms(e.at('boot.secrets'), e.at('boot.control-plane-installed')),
      restoreToReadyMs: ms(e.at('boot.control-plane-installed'), e.at('boot.serving')),
      eipAndPublishMs: ms(e.at('boot.serving'), e.at('boot.master-ready')),
      totalMs: ms(started, done),
      firstStoppedAfterMs: firstStopped ? ms(started, firstStopped) : 'never',
      load1: loadavg()[0],
    }),
  );
} finally {
  await env.stop();
}
