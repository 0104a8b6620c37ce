// Preflight benchmark: the per-host preflight over real SSH on a host that has everything (the
// common case: one read-only script, no install), the same host without node where a STAND-IN
// apt-get "installs" it (update + install + re-check: the round trips tugboat adds, not a real
// download), and exit-code integrity of instant commands (the ssh2 exit-status race).
// Usage: npx tsx bench/preflight.ts [runs=20]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHostPrerequisites } from '../src/bootstrap/host-prerequisites.js';
import { buildHostLayout } from '../src/bootstrap/layout.js';
import { connectSsh } from '../src/ssh/connect.js';
import { createPackageFixture } from '../test/bootstrap/package-fixture.js';
import { startSshd } from '../test/harness/sshd.js';

const runs = Number(process.argv[2] ?? 20);
const dir = mkdtempSync(join(tmpdir(), `tugboat-bench-preflight-${process.pid}-`));
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fixture = createPackageFixture(join(dir, 'host'));
const sshd = await startSshd({ extraConfig: [fixture.sshdSetEnv, 'MaxSessions 64'] });
try {
  const shell = await connectSsh({
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.clientKey.privateKeyPath,
    name: 'bench',
    hostKeys: { knownHostsPath: join(dir, 'known_hosts'), pinnedHostKeys: [sshd.hostKey.publicKey] },
  });
  const layout = buildHostLayout({ root: join(dir, 'layout') });
  const ensure = () => ensureHostPrerequisites(shell, { layout, minFreeDiskMb: 0 });

  fixture.reset({ node: true, managers: ['apt-get'] });
  const ready: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await ensure();
    ready.push(ms(t0));
  }
  const install: number[] = [];
  for (let i = 0; i < Math.max(3, Math.floor(runs / 2)); i++) {
    fixture.reset({ managers: ['apt-get'] });
    const t0 = process.hrtime.bigint();
    const r = await ensure();
    install.push(ms(t0));
    if (r.installed.join() !== 'nodejs') throw new Error(`expected an install, got ${r.installed}`);
  }
  let lost = 0;
  const execs = 1000;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = 0; i < execs / 8; i++) if ((await shell.exec('exit 3')).code !== 3) lost++;
    }),
  );
  const execMs = ms(t0);
  await shell.close();
  console.log(
    JSON.stringify(
      {
        preflightReadyHostP50Ms: Math.round(p50(ready)),
        preflightWithStandInInstallP50Ms: Math.round(p50(install)),
        instantExecs: execs,
        exitCodesLost: lost,
        instantExecsPerSecond8Parallel: Math.round((execs / execMs) * 1000),
      },
      null,
      2,
    ),
  );
} finally {
  await sshd.stop();
  rmSync(dir, { recursive: true, force: true });
}
