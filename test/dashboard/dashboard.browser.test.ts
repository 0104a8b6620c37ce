import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/client/client.js';
import { resources } from '../../src/client/types.js';
import type { ClusterStatus } from '../../src/cluster/status.js';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/index.js';
import { type LocalTestCluster, startLocalTestCluster } from '../support/local-cluster.js';
import { waitFor } from '../support/wait.js';
import { launchChromium, mainText, SCREENSHOT_DIR, screenshot } from './browser.js';
import { busyboxDeployment, viewerKubeconfig } from './local-objects.js';

// The dashboard in real headless Chromium (Debian's, driven by puppeteer-core) against the real
// `tugboat local up` (one node, process runtime): views render the cluster's objects, scaling in
// the page changes what kubectl sees, a log line written after the page opened appears, a user
// bound to `view` sees the action disabled with the reason. Screenshots: .tugboat-test/dashboard-screenshots.

let cluster: LocalTestCluster;
let admin: KubeClient;
let browser: Browser;
let dashboard: RunningDashboard;
let page: Page;
let trigger: string;
const requests: string[] = [];
const host = (id: string, group: string, zone: string, ip: string, eip?: string) => ({
  id,
  role: group === 'master' ? 'master' : 'worker',
  group,
  zone,
  lifecycleState: 'InService',
  state: 'running',
  privateIp: ip,
  ...(eip ? { eip: { allocationId: `eipalloc-${id}`, publicIp: eip } } : {}),
});
const masters = [host('i-0master', 'master', 'eu-west-1a', '10.0.1.4', '198.51.100.7')];
const workers = [
  host('i-0w1', 'workers', 'eu-west-1a', '10.0.1.5'),
  host('i-0w2', 'workers', 'eu-west-1b', '10.0.2.4'),
];
const group = { asgName: 'asg', min: 0, max: 4, eip: false };
const cloudStatus = {
  cluster: 'dash',
  region: 'eu-west-1',
  stackName: 'tugboat-dash',
  stack: { status: 'UPDATE_COMPLETE', outputs: {} },
  groups: [
    {
      ...group,
      name: 'master',
      role: 'master',
      min: 1,
      max: 1,
      desired: 1,
      inService: 1,
      eip: true,
      hosts: masters,
    },
    { ...group, name: 'workers', role: 'worker', desired: 2, inService: 2, hosts: workers },
  ],
  hosts: [...masters, ...workers],
  eips: [
    { allocationId: 'eipalloc-i-0master', publicIp: '198.51.100.7', pool: 'master', instanceId: 'i-0master' },
  ],
  bootFailures: [
    {
      instanceId: 'i-0w2',
      role: 'worker',
      group: 'workers',
      reason: 'no bootstrap token in SSM',
      at: new Date().toISOString(),
    },
  ],
} as ClusterStatus;

const kubectl = (args: string[]) =>
  execFileSync('kubectl', ['--context', 'tugboat-local', ...args], {
    env: cluster.env,
    encoding: 'utf8',
    timeout: 60_000,
  });

/**
 * Clicks the enabled button labelled `label` once and waits for its confirmation dialog: live
 * updates patch the view in place (page/morph.ts), so the button found is the button clicked.
 */
async function openConfirmation(p: Page, label: string): Promise<void> {
  const button = `button[aria-label="${label}"]:not([disabled])`;
  await p.waitForSelector(button, { timeout: 30_000 });
  await p.click(button);
  await p.waitForSelector('#confirm-dialog[open]', { timeout: 10_000 });
}

/** Opens the confirmation of the button labelled `label` and confirms. */
async function confirmed(p: Page, label: string): Promise<void> {
  await openConfirmation(p, label);
  await p.click('#confirm-ok');
}

/** Waits until the main region's text matches. */
const untilMain = (p: Page, re: RegExp, what: string) =>
  waitFor(async () => re.test(await mainText(p)), what, 60_000, 250);

beforeAll(async () => {
  cluster = await startLocalTestCluster('tugboat-dash-', {
    nodes: 1,
    runtime: 'process',
    timeoutMs: 120_000,
  });
  admin = cluster.admin();
  trigger = join(cluster.env.HOME as string, 'dash-trigger');
  await admin.create(
    resources.deployments,
    busyboxDeployment('dash-web', ['sh', '-c', 'sleep 3600']) as never,
  );
  await admin.create(
    resources.deployments,
    busyboxDeployment('dash-logger', [
      'sh',
      '-c',
      `echo logger started; while true; do if [ -f ${trigger} ]; then echo "late line $(cat ${trigger})"; rm -f ${trigger}; fi; sleep 0.3; done`,
    ]) as never,
  );
  const pod = { containers: [{ name: 'main', image: 'local/busybox', command: ['sh', '-c', 'echo done'] }] };
  await admin.create(resources.jobs, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'dash-job', namespace: 'default' },
    spec: { template: { spec: { ...pod, restartPolicy: 'Never' } } },
  } as never);
  await admin.create(resources.cronJobs, {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'dash-cron', namespace: 'default' },
    spec: {
      schedule: '*/5 * * * *',
      suspend: true,
      jobTemplate: { spec: { template: { spec: { ...pod, restartPolicy: 'Never' } } } },
    },
  } as never);
  dashboard = await startDashboard({
    kubeconfig: { env: cluster.env, home: cluster.env.HOME as string },
    context: 'tugboat-local',
    metricsIntervalMs: 1000,
    // The AWS side's reader is tested against moto in command.test.ts; here the page renders one.
    cloud: async () => cloudStatus,
  });
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('request', (r) => requests.push(r.url()));
  console.log(`dashboard screenshots: ${SCREENSHOT_DIR}`);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  admin?.close();
  await cluster?.remove();
}, 120_000);

describe('tugboat dashboard in Chromium against local up', () => {
  it('refuses a wrong token with 401 and shows no data', async () => {
    const res = await page.goto(`${new URL(dashboard.url).origin}/?token=not-the-token`);
    expect(res?.status()).toBe(401);
    expect(await page.content()).not.toContain('local-1');
  });

  it('logs in with the one-time token and shows the nodes, their pods and the version', async () => {
    const res = await page.goto(dashboard.url);
    expect(res?.status()).toBe(200);
    expect(page.url()).not.toContain('token');
    await untilMain(page, /local-1\s+Ready/, 'node local-1 Ready in the cluster view');
    await untilMain(page, /dash-logger-/, 'the logger pod under its node');
    expect(await page.$eval('#server-version', (e) => e.textContent)).toMatch(/^v1\.\d+/);
    await untilMain(page, /Stack tugboat-dash in eu-west-1: UPDATE_COMPLETE/, 'the stack status');
    const text = await mainText(page);
    expect(text).toMatch(/workers\s+worker\s+2\s+2\s+0–4\s+eu-west-1a: 1\/1, eu-west-1b: 1\/1/);
    expect(text).toMatch(
      /i-0master\s+master\s+eu-west-1a\s+running \/ InService\s+10\.0\.1\.4\s+198\.51\.100\.7/,
    );
    expect(text).toMatch(/198\.51\.100\.7\s+eipalloc-i-0master\s+master\s+i-0master/);
    expect(text).toMatch(/i-0w2\s+worker\s+no bootstrap token in SSM/);
    await screenshot(page, 'cluster');
  });

  it('scales a Deployment from the page, by keyboard, and kubectl sees it', async () => {
    await page.goto(`${new URL(dashboard.url).origin}/#/workloads`);
    await untilMain(page, /dash-web\s+1\/1/, 'dash-web ready 1/1');
    const button = 'button[aria-label="Scale deployment default/dash-web"]';
    await page.waitForSelector(`${button}:not([disabled])`, { timeout: 30_000 });
    // A mark on the element object itself (not an attribute, which a re-render would reset).
    await page.$eval(button, (b) => {
      (b as unknown as { tugboatMark?: boolean }).tugboatMark = true;
    });
    await page.focus(button);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#scale-dialog[open]');
    expect(await page.$eval(':focus', (e) => e.id)).toBe('scale-replicas');
    expect(await page.$eval('label[for="scale-replicas"]', (l) => l.textContent)).toBe('Replicas');
    await page.keyboard.type('2');
    await screenshot(page, 'workloads-scale-dialog');
    await page.keyboard.press('Enter');
    await waitFor(
      () => kubectl(['get', 'deployment', 'dash-web', '-o', 'jsonpath={.spec.replicas}']) === '2',
      'kubectl to see 2 replicas',
    );
    await untilMain(page, /dash-web\s+2\/2/, 'the page to show 2/2 from the watch');
    // Every watch event since re-rendered the view: patched in place, the button is the same element.
    expect(await page.$eval(button, (b) => (b as unknown as { tugboatMark?: boolean }).tugboatMark)).toBe(
      true,
    );
    await untilMain(page, /successfully rolled out/, 'the rollout state');
    await screenshot(page, 'workloads');
  });

  it('shows Jobs and CronJobs with their state', async () => {
    await untilMain(page, /dash-job\s+1\/1\s+Complete/, 'the completed Job');
    expect(await mainText(page)).toMatch(/dash-cron\s+\*\/5 \* \* \* \*\s+True\s+0\s+<none>/);
    expect(await mainText(page)).toMatch(/0 statefulsets[\s\S]*0 daemonsets/);
  });

  it('streams a log line written after the page opened', async () => {
    const pod = (
      await admin.list(resources.pods, { namespace: 'default', labelSelector: { app: 'dash-logger' } })
    ).items[0];
    expect(pod).toBeDefined();
    await page.goto(`${new URL(dashboard.url).origin}/#/pod/default/${pod?.metadata.name}`);
    await waitFor(
      async () =>
        (await page.$eval('#logs', (e) => e.textContent ?? '').catch(() => '')).includes('logger started'),
      'the first log line',
      60_000,
    );
    const nonce = `n${Date.now()}`;
    writeFileSync(trigger, nonce);
    await waitFor(
      async () => (await page.$eval('#logs', (e) => e.textContent ?? '')).includes(`late line ${nonce}`),
      'the line written after the page opened',
      30_000,
    );
    await untilMain(page, /main\s+local\/busybox\s+yes\s+running/, 'the container row');
    await screenshot(page, 'pod');
  });

  it('runs a command in the container (exec) and shows its output', async () => {
    await page.waitForSelector('#exec-run:not([disabled])', { timeout: 30_000 });
    await page.focus('#exec-command');
    await page.keyboard.type(`echo hello from exec ${process.pid}`);
    await page.keyboard.press('Enter');
    await waitFor(
      async () =>
        (await page.$eval('#exec-output', (e) => e.textContent ?? '')).includes(
          `hello from exec ${process.pid}\n[exit code 0]`,
        ),
      'the output of echo',
    );
    await page.$eval('#exec-command', (e) => {
      (e as unknown as { value: string }).value = '';
    });
    await page.focus('#exec-command');
    await page.keyboard.type('false');
    await page.keyboard.press('Enter');
    await waitFor(
      async () =>
        /^\$ false\n\[exit code 1: /.test(await page.$eval('#exec-output', (e) => e.textContent ?? '')),
      'the exit code of false',
    );
    await screenshot(page, 'pod-exec');
  });

  it('opens a shell in the container, types into the terminal and sees the output; exit closes it', async () => {
    await page.waitForSelector('#shell-start:not([disabled])', { timeout: 30_000 });
    expect(await page.$eval('#shell-container', (e) => (e as unknown as { value: string }).value)).toBe(
      'main',
    );
    const before = requests.length;
    await page.click('#shell-start');
    await waitFor(
      async () => /^(bash|sh) in main$/.test(await page.$eval('#shell-status', (e) => e.textContent ?? '')),
      'the shell to start',
      30_000,
    );
    // The terminal (script and stylesheet) is loaded from our origin only when the shell opens.
    const terminalFiles = (urls: string[]) => urls.filter((u) => /\/terminal\.(js|css)$/.test(u)).length;
    expect(terminalFiles(requests.slice(0, before))).toBe(0);
    expect(terminalFiles(requests.slice(before))).toBe(2);
    // xterm's measured sizes reach the page through adopted stylesheets (CSP blocks its <style>s).
    expect(await page.evaluate('document.adoptedStyleSheets.length')).toBeGreaterThan(0);
    // The theme's foreground (#ffffff) comes only from xterm's own (mirrored) style element.
    expect(
      await page.evaluate("getComputedStyle(document.querySelector('#shell-terminal .xterm-rows')).color"),
    ).toBe('rgb(255, 255, 255)');
    const rowHeight = await page.$eval(
      '#shell-terminal .xterm-rows > div',
      (e) => e.getBoundingClientRect().height,
    );
    expect(rowHeight).toBeGreaterThan(8);
    const marker = `hello-$((6*7))-${process.pid}`;
    await page.click('#shell-terminal');
    await page.keyboard.type(`echo ${marker}`);
    await page.keyboard.press('Enter');
    const rows = () => page.$eval('#shell-terminal .xterm-rows', (e) => e.textContent ?? '');
    await waitFor(async () => (await rows()).includes(`hello-42-${process.pid}`), 'the echo in the terminal');
    // Live watch events re-render the pod view meanwhile; the terminal keeps the keyboard focus.
    expect(await page.evaluate("document.activeElement?.classList.contains('xterm-helper-textarea')")).toBe(
      true,
    );
    await screenshot(page, 'pod-shell');
    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    await waitFor(
      async () =>
        (await page.$eval('#shell-status', (e) => e.textContent ?? '')) === 'the shell ended (exit code 0)',
      'the shell to end',
    );
    await page.waitForSelector('#shell-start:not([disabled])');
    expect(await page.$eval('#shell-stop', (b) => b.hasAttribute('disabled'))).toBe(true);
    expect(dashboard.shells.size).toBe(0);
  });

  it('deletes a pod after confirmation, and its Deployment replaces it', async () => {
    const name = decodeURIComponent(new URL(page.url()).hash.split('/').at(-1) ?? '');
    await openConfirmation(page, `Delete pod default/${name}`);
    expect(await page.$eval(':focus', (e) => e.id)).toBe('confirm-cancel');
    expect(await page.$eval('#confirm-what', (e) => e.textContent)).toContain(`Delete pod default/${name}?`);
    await page.click('#confirm-ok');
    await waitFor(
      async () => !kubectl(['get', 'pods', '-l', 'app=dash-logger', '-o', 'name']).includes(name),
      'the pod to be gone for kubectl',
    );
    await waitFor(
      () => kubectl(['get', 'pods', '-l', 'app=dash-logger', '-o', 'name']).includes('pod/dash-logger-'),
      'a replacement pod',
    );
  });

  it('cordons and uncordons a node from its view, restarts a Deployment, rolls it back, drains the node', {
    timeout: 400_000,
  }, async () => {
    await page.goto(`${new URL(dashboard.url).origin}/#/cluster`);
    await untilMain(page, /local-1\s+Ready/, 'the node');
    await page.click('main a[href="#/node/local-1"]');
    await untilMain(page, /Node local-1/, 'the node view');
    await untilMain(page, /Ready\s+True/, 'the Ready condition');
    // Node metrics (the API server's metrics API, scraped from the agent) drawn as charts with a text alternative.
    await waitFor(
      async () =>
        (await page.$eval('#cpu-chart', (e) => e.getAttribute('aria-label')))?.startsWith(
          'CPU of local-1: now ',
        ),
      'a CPU reading in the chart',
      60_000,
    );
    expect(await page.$eval('#memory-chart', (e) => e.getAttribute('aria-label'))).toMatch(
      /^Memory of local-1: now \d+ MiB/,
    );
    expect(await page.$$eval('#cpu-chart polyline', (l) => l.length)).toBe(1);
    await confirmed(page, 'Cordon node local-1');
    await waitFor(
      () => kubectl(['get', 'node', 'local-1', '-o', 'jsonpath={.spec.unschedulable}']) === 'true',
      'kubectl to see the node cordoned',
    );
    await untilMain(page, /Ready,SchedulingDisabled/, 'the page to show it');
    await screenshot(page, 'node');
    await confirmed(page, 'Uncordon node local-1');
    await waitFor(
      () => kubectl(['get', 'node', 'local-1', '-o', 'jsonpath={.spec.unschedulable}']) === '',
      'kubectl to see the node uncordoned',
    );
    await page.goto(`${new URL(dashboard.url).origin}/#/workloads`);
    await confirmed(page, 'Restart deployment default/dash-web');
    await waitFor(
      () =>
        kubectl([
          'get',
          'deployment',
          'dash-web',
          '-o',
          'jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}',
        ]) !== '',
      'kubectl to see the restart annotation',
    );
    // The restart made revision 2; rolling back (kubectl rollout undo) takes the template of revision 1 again.
    await waitFor(
      () =>
        kubectl(['get', 'replicasets', '-l', 'app=dash-web', '-o', 'name']).trim().split('\n').length >= 2,
      'the ReplicaSet of revision 2',
    );
    await confirmed(page, 'Roll back deployment default/dash-web');
    await waitFor(
      () =>
        kubectl([
          'get',
          'deployment',
          'dash-web',
          '-o',
          'jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}',
        ]) === '',
      'kubectl to see the template of revision 1 again',
    );

    // Drain (kubectl drain --ignore-daemonsets through the Eviction API), then uncordon: the pods come back.
    await page.goto(`${new URL(dashboard.url).origin}/#/node/local-1`);
    await untilMain(page, /Node local-1/, 'the node view');
    await confirmed(page, 'Drain node local-1');
    await page.waitForSelector('#confirm-dialog:not([open])', { timeout: 150_000 });
    expect(kubectl(['get', 'node', 'local-1', '-o', 'jsonpath={.spec.unschedulable}'])).toBe('true');
    expect(
      kubectl(['get', 'pods', '-l', 'app=dash-web', '-o', 'jsonpath={.items[*].spec.nodeName}']).trim(),
    ).toBe('');
    await confirmed(page, 'Uncordon node local-1');
    await waitFor(
      () => kubectl(['get', 'deployment', 'dash-web', '-o', 'jsonpath={.status.readyReplicas}']) === '2',
      'dash-web ready again on the uncordoned node',
      120_000,
    );
  });

  it('shows the events live, filtered by what is typed', async () => {
    await page.goto(`${new URL(dashboard.url).origin}/#/events`);
    await untilMain(page, /ScalingReplicaSet/, 'the scaling events');
    await page.focus('#events-filter');
    await page.keyboard.type('dash-logger');
    await waitFor(async () => !/ScalingReplicaSet.*dash-web/.test(await mainText(page)), 'the filter');
    expect(await mainText(page)).toContain('dash-logger');
    await screenshot(page, 'events');
  });

  it('fits a phone width: tables scroll sideways, the page does not', async () => {
    await page.setViewport({ width: 390, height: 844 });
    try {
      await page.goto(`${new URL(dashboard.url).origin}/#/workloads`);
      await untilMain(page, /dash-web/, 'the workloads at phone width');
      const overflow = await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow).toBe(0);
      await screenshot(page, 'workloads-phone');
    } finally {
      await page.setViewport({ width: 800, height: 600 });
    }
  });

  it('sends nothing anywhere but the dashboard itself', () => {
    const origin = new URL(dashboard.url).origin;
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((u) => !u.startsWith(origin))).toEqual([]);
  });

  it('a cross-origin page cannot scale through the logged-in browser', async () => {
    const { port } = new URL(dashboard.url);
    const evil = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<script>fetch('http://127.0.0.1:${port}/api/scale',{method:'POST',mode:'no-cors',credentials:'include',` +
          `headers:{'content-type':'text/plain'},body:JSON.stringify({namespace:'default',name:'dash-web',replicas:9})})` +
          `.finally(()=>{document.title='sent'})</script>`,
      );
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    try {
      const other = await browser.newPage();
      await other.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      await waitFor(async () => (await other.title()) === 'sent', 'the forged request to be sent');
      await other.close();
    } finally {
      evil.close();
    }
    expect(kubectl(['get', 'deployment', 'dash-web', '-o', 'jsonpath={.spec.replicas}'])).toBe('2');
  });

  it('a user bound to view sees the scale action disabled with the reason', async () => {
    const file = await viewerKubeconfig(cluster, admin, 'dash-viewer');
    const viewer = await startDashboard({
      kubeconfig: { explicit: file, env: {}, home: cluster.env.HOME as string },
    });
    const context = await browser.createBrowserContext();
    try {
      const p = await context.newPage();
      await p.goto(viewer.url);
      await p.goto(`${new URL(viewer.url).origin}/#/workloads`);
      await untilMain(p, /dash-web/, 'the viewer to see dash-web');
      await p.waitForSelector('button[aria-label="Scale deployment default/dash-web"][disabled]', {
        timeout: 30_000,
      });
      await untilMain(
        p,
        /RBAC does not allow you to patch deployments\/scale in namespace default/,
        'the reason',
      );
      const describedBy = await p.$eval('button[aria-label="Scale deployment default/dash-web"]', (b) =>
        b.getAttribute('aria-describedby'),
      );
      expect(await p.$eval(`#${describedBy}`, (e) => e.textContent)).toContain('RBAC does not allow you');
      await screenshot(p, 'workloads-viewer');
      const pod = (
        await admin.list(resources.pods, { namespace: 'default', labelSelector: { app: 'dash-web' } })
      ).items[0];
      await p.goto(`${new URL(viewer.url).origin}/#/pod/default/${pod?.metadata.name}`);
      await waitFor(
        async () =>
          (await p.$eval('#exec-why', (e) => e.textContent ?? '')).includes(
            'RBAC does not allow you to create pods/exec',
          ),
        'the reason exec is not allowed',
      );
      expect(await p.$eval('#exec-run', (b) => b.hasAttribute('disabled'))).toBe(true);
      expect(await p.$eval('#shell-why', (e) => e.textContent ?? '')).toContain(
        'RBAC does not allow you to create pods/exec',
      );
      expect(await p.$eval('#shell-start', (b) => b.hasAttribute('disabled'))).toBe(true);
    } finally {
      await context.close();
      await viewer.close();
    }
  });
});
