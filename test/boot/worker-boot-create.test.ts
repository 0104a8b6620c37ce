import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_SERVICE, agentPaths, installAgent } from '../../src/bootstrap/agent-install.js';
import { serviceStatus } from '../../src/bootstrap/service.js';
import { type Node, resources } from '../../src/client/index.js';
import { holdWorkerInstall, type WorkerInstallHold } from '../../src/cluster/worker-install-step.js';
import { RecordingEvents } from '../../src/events.js';
import { createAwsClients } from '../../src/index.js';
import { waitFor } from '../support/wait.js';
import { WorkerBootFixture } from '../support/worker-boot-fixture.js';

// Issue 17: at `tugboat create` every worker runs its user-data (`boot --role worker`) while the
// laptop installs the same hosts over SSH. One installer per host: while create's marker is in
// SSM the boot waits; a host create installed is left as it is, one it did not (launched by the
// group meanwhile, or a create that died) joins by itself. moto + IMDSv2 stand-in + a real control
// plane + real agents from the host bundle, supervised in a temp root per "instance".
let f: WorkerBootFixture;
let hold: WorkerInstallHold | undefined;

beforeAll(async () => {
  f = await WorkerBootFixture.start('bwc17', 'bwcrea.0123456789abcdef');
}, 180_000);

afterAll(async () => {
  hold?.abandon();
  await f?.stop();
}, 60_000);

/** Holds the marker as create does (refreshing faster than the boots' stale limit). */
async function holdAsCreate(): Promise<WorkerInstallHold> {
  const aws = await createAwsClients({ env: f.moto.env });
  hold = await holdWorkerInstall(aws.ssm, {
    cluster: f.cluster,
    bootstrap: true,
    events: new RecordingEvents(),
    refreshMs: 300,
  });
  return hold;
}

const ready = (id: string) =>
  waitFor(
    async () => {
      const n = await f.admin.get<Node>(resources.nodes, id).catch(() => undefined);
      return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
    },
    `the Node ${id} Ready`,
    120_000,
  );

describe('boot --role worker while tugboat create installs over SSH', () => {
  it('waits, installs nothing, and once create installed the host leaves it as it is: one agent, started once', async () => {
    const marker = await holdAsCreate();
    // Stale after 2 s unless refreshed: create's refresh keeps the boot waiting well past that.
    const w = await f.bootWorker('c1', { joinTimeoutMs: 120_000, worker: { createStaleMs: 2_000 } });
    let ended = false;
    void w.booted.then(
      () => {
        ended = true;
      },
      () => {
        ended = true;
      },
    );
    await waitFor(
      async () => w.events.codes().includes('boot.worker-waits-for-create') || undefined,
      'the boot to see the marker',
      60_000,
    );
    await new Promise((r) => setTimeout(r, 4_000));
    expect(ended).toBe(false);
    const paths = agentPaths(w.layout, basename(f.bundlePath));
    expect(existsSync(paths.bundle)).toBe(false);
    // What SSH bootstrap does on the host meanwhile: the agent with the laptop's node certificate.
    const client = f.pki.client(`system:node:${w.instance.id}`, ['system:nodes']);
    await installAgent(w.shell, {
      layout: w.layout,
      mode: 'supervised',
      bundle: { file: basename(f.bundlePath), content: readFileSync(f.bundlePath) },
      nodeName: w.instance.id,
      server: f.cp.url,
      caPem: f.pki.ca.cert,
      client: { certPem: client.cert, keyPem: client.key },
      nodePath: process.execPath,
      runtime: 'process',
      imds: 'off',
      listen: '127.0.0.1:0',
      group: 'blue',
    });
    const before = await serviceStatus(w.shell, AGENT_SERVICE, { layout: w.layout, mode: 'supervised' });
    expect(before.running).toBe(true);
    await ready(w.instance.id);
    await marker.release();
    await w.booted;
    expect(w.failures).toEqual([]);
    expect(w.events.codes()).toContain('boot.worker-left-to-bootstrap');
    expect(w.events.codes()).not.toContain('boot.agent-installed');
    const said = w.events.events.find((e) => e.code === 'boot.worker-left-to-bootstrap')!.message;
    expect(said).toContain('by tugboat create): boot left the install to bootstrap and changed nothing');
    // The agent create installed runs on, untouched: same supervisor and process, no token file.
    const after = await serviceStatus(w.shell, AGENT_SERVICE, { layout: w.layout, mode: 'supervised' });
    expect(after).toEqual(before);
    expect(existsSync(paths.bootstrapToken)).toBe(false);
    expect(readFileSync(paths.cert, 'utf8')).toBe(client.cert);
  }, 240_000);

  it('an instance the group launched while create bootstraps (create does not know it) joins by itself once create is done', async () => {
    const marker = await holdAsCreate();
    const w = await f.bootWorker('c2', { joinTimeoutMs: 120_000, worker: { createStaleMs: 60_000 } });
    await waitFor(
      async () => w.events.codes().includes('boot.worker-waits-for-create') || undefined,
      'the boot to see the marker',
      60_000,
    );
    expect(existsSync(agentPaths(w.layout, basename(f.bundlePath)).bundle)).toBe(false);
    await marker.release();
    await w.booted;
    expect(w.events.codes()).toEqual(
      expect.arrayContaining(['boot.worker-waits-for-create', 'boot.agent-installed', 'boot.worker-joined']),
    );
    await ready(w.instance.id);
  }, 240_000);

  it('a host where the SSH install stopped after its files (no service yet) is installed by the boot, keeping the certificate', async () => {
    // No marker: e.g. create was interrupted and its marker went stale, or an older create.
    let client = { cert: '', key: '' };
    const w = await f.bootWorker('c4', {
      joinTimeoutMs: 120_000,
      beforeBoot: (id, layout) => {
        const p = agentPaths(layout, basename(f.bundlePath));
        client = f.pki.client(`system:node:${id}`, ['system:nodes']);
        mkdirSync(dirname(p.cert), { recursive: true });
        writeFileSync(p.cert, client.cert);
        writeFileSync(p.key, client.key, { mode: 0o600 });
      },
    });
    const paths = agentPaths(w.layout, basename(f.bundlePath));
    await w.booted;
    expect(w.events.codes()).toContain('boot.agent-installed');
    expect(w.events.codes()).not.toContain('boot.worker-left-to-bootstrap');
    await ready(w.instance.id);
    expect(readFileSync(paths.cert, 'utf8')).toBe(client.cert);
  }, 240_000);

  it('a create that died (Ctrl-C, power cut) stops refreshing: the worker joins by itself once the marker is stale', async () => {
    const marker = await holdAsCreate();
    marker.abandon();
    const w = await f.bootWorker('c3', { joinTimeoutMs: 120_000, worker: { createStaleMs: 1_500 } });
    await w.booted;
    expect(w.events.codes()).toEqual(
      expect.arrayContaining(['boot.create-marker-stale', 'boot.agent-installed', 'boot.worker-joined']),
    );
    await ready(w.instance.id);
  }, 240_000);
});
