import type { FitAddon } from '@xterm/addon-fit';
import type { Terminal } from '@xterm/xterm';
import type { Access } from './actions-ui.js';
import { h } from './dom.js';
import type { TerminalLibrary } from './terminal.js';
import { mirrorStyles } from './xterm-styles.js';

/** Keys typed or pasted are sent in pieces of at most this many bytes (the server takes 64 KiB). */
const CHUNK = 16 * 1024;

let library: Promise<TerminalLibrary> | undefined;

/** Loads terminal.js and terminal.css once (same-origin files, as the CSP allows). */
function loadTerminal(): Promise<TerminalLibrary> {
  const load = (el: HTMLLinkElement | HTMLScriptElement, file: string) =>
    new Promise<void>((resolve, reject) => {
      el.addEventListener('load', () => resolve());
      el.addEventListener('error', () => reject(new Error(`could not load the terminal (${file})`)));
      document.head.append(el);
    });
  library ??= Promise.all([
    load(h('link', { rel: 'stylesheet', href: '/terminal.css' }), 'terminal.css'),
    load(h('script', { src: '/terminal.js' }), 'terminal.js'),
  ]).then(
    () => (window as unknown as { tugboatTerminal: TerminalLibrary }).tugboatTerminal,
    (err: Error) => {
      library = undefined;
      throw err;
    },
  );
  return library;
}

type Notice =
  | { shell: string }
  | { notice: string }
  | { exit: { code?: number; message?: string } }
  | { error: string; code?: number };

/**
 * An interactive shell in one of the pod's containers: a terminal (xterm.js) tied by a WebSocket to
 * the dashboard server, which runs `bash` (else `sh`) through `pods/exec` with stdin and a TTY as
 * the user. Kept across re-renders (it lives outside the morphed tree, see main.ts); closed when the
 * page leaves the pod.
 */
export class ShellPanel {
  readonly element: HTMLElement;
  readonly target: string;
  private readonly picker: HTMLSelectElement;
  private readonly start: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private readonly why: HTMLElement;
  private readonly status: HTMLElement;
  private readonly screen: HTMLElement;
  private term: Terminal | undefined;
  private fit: FitAddon | undefined;
  private socket: WebSocket | undefined;
  private observer: ResizeObserver | undefined;
  private unmirror: (() => void) | undefined;
  private allowed = false;
  private opening = false;
  private closed = false;
  private containers: readonly string[] = [];

  constructor(
    private readonly namespace: string,
    private readonly pod: string,
  ) {
    this.target = `${namespace}/${pod}`;
    this.picker = h('select', { id: 'shell-container' });
    this.start = h(
      'button',
      { type: 'button', id: 'shell-start', disabled: true, 'aria-describedby': 'shell-why' },
      'Open shell',
    );
    this.stop = h('button', { type: 'button', id: 'shell-stop', disabled: true }, 'Close shell');
    this.why = h('span', { class: 'why', id: 'shell-why' }, ' checking access…');
    this.status = h('p', { class: 'muted', id: 'shell-status', role: 'status' }, 'no shell open');
    this.screen = h('div', { class: 'terminal', id: 'shell-terminal', 'aria-label': 'shell terminal' });
    this.start.addEventListener('click', () => void this.open());
    this.stop.addEventListener('click', () => this.socket?.close(1000));
    this.element = h(
      'section',
      { 'aria-labelledby': 'shell-title' },
      h('h2', { id: 'shell-title' }, 'Shell'),
      h(
        'p',
        {},
        h('label', { for: 'shell-container', class: 'inline' }, 'Container '),
        this.picker,
        ' ',
        this.start,
        ' ',
        this.stop,
        this.why,
      ),
      this.status,
      this.screen,
    );
  }

  /** The pod's containers, for the picker (the first is picked until the user picks another). */
  setContainers(names: readonly string[]): void {
    if (names.join('\n') === this.containers.join('\n')) return;
    this.containers = names;
    const picked = this.picker.value;
    this.picker.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
    if (names.includes(picked)) this.picker.value = picked;
    this.sync();
  }

  /** Enables "Open shell" when RBAC allows `create pods/exec`, else shows why. */
  setAccess(access: Access | undefined): void {
    this.allowed = access?.allowed === true;
    this.why.textContent =
      access === undefined ? ' checking access…' : access.allowed ? '' : ` ${access.reason}`;
    this.sync();
  }

  /** Ends the shell and frees the terminal (the page left the pod). */
  close(): void {
    this.closed = true;
    this.socket?.close(1000);
    this.socket = undefined;
    this.observer?.disconnect();
    this.unmirror?.();
    this.term?.dispose();
    this.term = undefined;
  }

  private sync(): void {
    const busy = this.socket !== undefined;
    this.start.disabled = !this.allowed || busy || this.containers.length === 0;
    this.stop.disabled = !busy;
    this.picker.disabled = busy;
  }

  private async terminal(): Promise<Terminal> {
    if (this.term) return this.term;
    const { Terminal, FitAddon } = await loadTerminal();
    if (this.term) return this.term;
    this.unmirror = mirrorStyles(this.screen);
    const term = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 14, scrollback: 2000 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(this.screen);
    const encoder = new TextEncoder();
    term.onData((text) => {
      const bytes = encoder.encode(text);
      for (let at = 0; at < bytes.length; at += CHUNK) this.socket?.send(bytes.subarray(at, at + CHUNK));
    });
    term.onResize(({ cols, rows }) => this.sendSize(cols, rows));
    this.observer = new ResizeObserver(() => {
      if (this.screen.isConnected) fit.fit();
    });
    this.observer.observe(this.screen);
    this.term = term;
    this.fit = fit;
    return term;
  }

  private sendSize(cols: number, rows: number): void {
    if (this.socket?.readyState === WebSocket.OPEN)
      this.socket.send(JSON.stringify({ resize: { cols, rows } }));
  }

  private async open(): Promise<void> {
    if (!this.allowed || this.socket || this.opening) return;
    const container = this.picker.value;
    this.opening = true;
    this.status.textContent = 'loading the terminal…';
    let term: Terminal;
    try {
      term = await this.terminal();
    } catch (err) {
      this.status.textContent = (err as Error).message;
      return;
    } finally {
      this.opening = false;
    }
    if (this.closed) return;
    term.reset();
    this.fit?.fit();
    const q = new URLSearchParams({ namespace: this.namespace, pod: this.pod, container });
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/shell?${q}`);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.status.textContent = `connecting to ${container}…`;
    this.sync();
    let told = false;
    socket.onopen = () => {
      this.sendSize(term.cols, term.rows);
      term.focus();
    };
    socket.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) {
        term.write(new Uint8Array(e.data));
        return;
      }
      const m = JSON.parse(String(e.data)) as Notice;
      if ('shell' in m) this.status.textContent = `${m.shell} in ${container}`;
      else if ('notice' in m) this.status.textContent = m.notice;
      else if ('exit' in m) {
        told = true;
        const how = m.exit.code === undefined ? 'unknown' : String(m.exit.code);
        this.status.textContent = `the shell ended (exit code ${how}${m.exit.message ? `: ${m.exit.message}` : ''})`;
      } else {
        told = true;
        this.status.textContent = `shell failed: ${m.error}`;
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (!told) this.status.textContent = 'the shell closed';
      this.sync();
    };
  }
}
