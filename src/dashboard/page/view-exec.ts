import type { Access } from './actions-ui.js';
import { h } from './dom.js';

/**
 * Runs one command in the pod's container and shows what it printed. Arguments are split at
 * spaces and no shell is involved (as `kubectl exec POD -- ARGS`). Kept across re-renders of the
 * pod view, like the logs.
 */
export class ExecPanel {
  readonly element: HTMLElement;
  readonly target: string;
  private readonly input: HTMLInputElement;
  private readonly run: HTMLButtonElement;
  private readonly why: HTMLElement;
  private readonly output: HTMLPreElement;
  private busy = false;
  private allowed = false;

  constructor(namespace: string, pod: string, container: string) {
    this.target = `${namespace}/${pod}/${container}`;
    this.input = h('input', {
      id: 'exec-command',
      'data-key': 'exec-command',
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
    });
    this.run = h(
      'button',
      {
        type: 'submit',
        id: 'exec-run',
        'data-key': 'exec-run',
        disabled: true,
        'aria-describedby': 'exec-why',
      },
      'Run',
    );
    this.why = h('span', { class: 'why', id: 'exec-why' }, ' checking access…');
    this.output = h('pre', {
      class: 'logs',
      id: 'exec-output',
      tabindex: 0,
      'aria-live': 'polite',
      'aria-label': 'command output',
    });
    const form = h(
      'form',
      {},
      h(
        'label',
        { for: 'exec-command' },
        `Command to run in ${container} (arguments split at spaces, no shell)`,
      ),
      this.input,
      ' ',
      this.run,
      this.why,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.execute(namespace, pod, container);
    });
    this.element = h(
      'section',
      { 'aria-labelledby': 'exec-title' },
      h('h2', { id: 'exec-title' }, 'Run a command'),
      form,
      this.output,
    );
  }

  /** Enables Run when RBAC allows `create pods/exec`, else shows why. */
  setAccess(access: Access | undefined): void {
    this.allowed = access?.allowed === true;
    this.run.disabled = !this.allowed || this.busy;
    this.why.textContent =
      access === undefined ? ' checking access…' : access.allowed ? '' : ` ${access.reason}`;
  }

  private async execute(namespace: string, pod: string, container: string): Promise<void> {
    const command = this.input.value.trim().split(/\s+/).filter(Boolean);
    if (command.length === 0 || !this.allowed || this.busy) return;
    this.busy = true;
    this.run.disabled = true;
    this.output.textContent = `$ ${command.join(' ')}\n`;
    try {
      const r = await fetch('/api/exec', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ namespace, name: pod, container, command }),
      });
      const body = await r.json();
      if (!r.ok) this.output.append(`failed: ${body.message}\n`);
      else {
        this.output.append(body.stdout ?? '', body.stderr ?? '');
        this.output.append(
          `[exit code ${body.exitCode ?? 'unknown'}${body.message ? `: ${body.message}` : ''}]\n`,
        );
      }
    } catch (err) {
      this.output.append(`failed: ${(err as Error).message}\n`);
    } finally {
      this.busy = false;
      this.run.disabled = !this.allowed;
    }
  }
}
