import { ActionAccess, openScaleDialog } from './actions-ui.js';
import { h } from './dom.js';
import { morph } from './morph.js';
import { type CloudMessage, ClusterState, type Message, type MetricsMessage } from './state.js';
import { renderCluster } from './view-cluster.js';
import { renderEvents } from './view-events.js';
import { ExecPanel } from './view-exec.js';
import { renderNode } from './view-node.js';
import { LogPanel, renderPod } from './view-pod.js';
import { ShellPanel } from './view-shell.js';
import { renderWorkloads } from './view-workloads.js';

const state = new ClusterState();
const main = document.getElementById('main') as HTMLElement;
const connection = document.getElementById('connection') as HTMLElement;
const filter = h('input', { id: 'events-filter', type: 'search', 'data-key': 'events-filter' });
let logs: LogPanel | undefined;
let exec: ExecPanel | undefined;
let shell: ShellPanel | undefined;
let scheduled = false;

const access = new ActionAccess(() => schedule());
filter.addEventListener('input', () => schedule());

/** Re-renders the current view once per frame however many changes arrive. */
function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    render();
  });
}

function route(): string[] {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return parts[0] ? parts : ['cluster'];
}

function render(): void {
  const [view, ns = '', name = ''] = route();
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (a.getAttribute('href') === `#/${view}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const focused = document.activeElement as HTMLElement | null;
  const focusKey = focused && main.contains(focused) ? focused.dataset.key : undefined;
  let content: HTMLElement;
  if (view === 'workloads') content = renderWorkloads(state, access, openScaleDialog);
  else if (view === 'events') content = renderEvents(state, filter);
  else if (view === 'pod') {
    const pod = state.get('pods', ns, name);
    const container: string | undefined = pod?.spec?.containers?.[0]?.name;
    if (container && logs?.target !== `${ns}/${name}/${container}`) {
      logs?.close();
      logs = new LogPanel(ns, name, container);
      exec = new ExecPanel(ns, name, container);
    }
    exec?.setAccess(access.get(ns)?.exec);
    if (shell?.target !== `${ns}/${name}`) {
      shell?.close();
      shell = new ShellPanel(ns, name);
    }
    shell.setContainers((pod?.spec?.containers ?? []).map((c: { name: string }) => c.name));
    shell.setAccess(access.get(ns)?.exec);
    content = renderPod(state, ns, name, logs, access);
    if (exec) content.append(exec.element);
    // The terminal is kept out of the morph: re-attaching it on each render would take its focus.
    if (pod) content.append(h('div', { 'data-live': 'shell', 'data-key': 'shell' }));
  } else if (view === 'node') content = renderNode(state, ns, access);
  else content = renderCluster(state);
  if (view !== 'pod' && logs) {
    logs.close();
    logs = undefined;
    exec = undefined;
  }
  if (view !== 'pod' && shell) {
    shell.close();
    shell = undefined;
  }
  // Patched, not replaced: what the user points at or types into stays the same element.
  const current = main.firstChild;
  if (current && !main.firstChild?.nextSibling) morph(current, content);
  else main.replaceChildren(content);
  const slot = main.querySelector('[data-live="shell"]');
  if (shell && slot && slot.firstChild !== shell.element) slot.replaceChildren(shell.element);
  document.title = `tugboat · ${view}`;
  if (focusKey) main.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function connect(): void {
  const source = new EventSource('/api/stream');
  source.onopen = () => {
    connection.textContent = 'live';
  };
  source.onmessage = (e) => {
    state.apply(JSON.parse(e.data) as Message | CloudMessage | MetricsMessage);
    schedule();
  };
  // EventSource reconnects by itself; the server then sends a fresh snapshot.
  source.onerror = () => {
    connection.textContent = 'reconnecting…';
  };
}

// The shell's exec ends with the page, not when the server next notices a dead socket.
window.addEventListener('pagehide', () => shell?.close());
window.addEventListener('hashchange', () => {
  render();
  main.focus();
});
void fetch('/api/version')
  .then((r) => (r.ok ? r.json() : undefined))
  .then((v: { gitVersion?: string } | undefined) => {
    state.version = v?.gitVersion ?? '';
    schedule();
  });
connect();
render();
