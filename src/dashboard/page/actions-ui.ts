import { h } from './dom.js';
import type { Obj } from './state.js';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export interface Access {
  readonly allowed: boolean;
  readonly reason: string;
}

/** The page's actions (src/dashboard/actions.ts ACTIONS). */
export type ActionName = 'scale' | 'restart' | 'rollback' | 'deletePod' | 'cordon' | 'exec';
export type Accesses = Readonly<Record<ActionName, Access>>;

/**
 * What the user may do per namespace (cluster-scoped actions: cluster-wide), asked once per
 * namespace (SelfSubjectAccessReview on the server).
 */
export class ActionAccess {
  private readonly cache = new Map<string, Accesses | 'pending'>();

  constructor(private readonly changed: () => void) {}

  /** The answers for `namespace`, or undefined while they are being asked. */
  get(namespace: string): Accesses | undefined {
    const hit = this.cache.get(namespace);
    if (hit === 'pending') return undefined;
    if (hit) return hit;
    this.cache.set(namespace, 'pending');
    void fetch(`/api/access?namespace=${encodeURIComponent(namespace)}`)
      .then(async (r) => {
        const body = await r.json();
        return r.ok ? (body as Accesses) : denyAll(`cannot check access: ${body.message}`);
      })
      .catch((err: Error) => denyAll(`cannot check access: ${err.message}`))
      .then((a) => {
        this.cache.set(namespace, a);
        this.changed();
      });
    return undefined;
  }
}

function denyAll(reason: string): Accesses {
  const no = { allowed: false, reason };
  return { scale: no, restart: no, rollback: no, deletePod: no, cordon: no, exec: no };
}

/**
 * An action's button: enabled when RBAC allows it, else disabled with the reason next to it (and
 * tied to it with aria-describedby); "checking access…" until the answer is in.
 */
export function actionButton(
  text: string,
  label: string,
  key: string,
  access: Access | undefined,
  onClick: () => void,
): HTMLElement {
  const whyId = `why-${key.replace(/[^a-z0-9-]/gi, '-')}`;
  const denied = access && !access.allowed;
  return h(
    'span',
    { class: 'action' },
    h(
      'button',
      {
        type: 'button',
        'data-key': key,
        'aria-label': label,
        disabled: access?.allowed !== true,
        'aria-describedby': denied ? whyId : undefined,
        onclick: onClick,
      },
      text,
    ),
    access === undefined ? h('span', { class: 'why' }, ' checking access…') : null,
    denied ? h('span', { class: 'why', id: whyId }, ` ${access.reason}`) : null,
  );
}

/** POSTs an action to the dashboard server; resolves with the error message, or undefined when done. */
export async function postAction(path: string, body: unknown): Promise<string | undefined> {
  const r = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return r.ok ? undefined : String((await r.json()).message);
}

/** Wires a dialog's Cancel button; the returned function closes it and gives focus back to the opener. */
function modal(dialog: HTMLDialogElement, cancelId: string): () => void {
  const opener = document.activeElement as HTMLElement | null;
  const done = () => {
    dialog.close();
    opener?.focus();
  };
  byId<HTMLButtonElement>(cancelId).onclick = done;
  return done;
}

/**
 * Asks to confirm an action in a modal dialog (focus on Cancel, Escape cancels), then runs it; the
 * views update from the watches, not from the answer.
 */
export function confirmAction(
  title: string,
  message: string,
  confirm: string,
  run: () => Promise<string | undefined>,
): void {
  const dialog = byId<HTMLDialogElement>('confirm-dialog');
  const error = byId<HTMLParagraphElement>('confirm-error');
  byId('confirm-title').textContent = title;
  byId('confirm-what').textContent = message;
  const ok = byId<HTMLButtonElement>('confirm-ok');
  ok.textContent = confirm;
  error.textContent = '';
  const done = modal(dialog, 'confirm-cancel');
  ok.onclick = async () => {
    const failed = await run();
    if (failed) error.textContent = `not done: ${failed}`;
    else done();
  };
  dialog.showModal();
  byId<HTMLButtonElement>('confirm-cancel').focus();
}

/**
 * Asks for the new replica count in a modal dialog (focus moves into it and Escape cancels), then
 * sends the scale request; the table updates from the watch, not from the answer.
 */
export function openScaleDialog(d: Obj): void {
  const dialog = byId<HTMLDialogElement>('scale-dialog');
  const input = byId<HTMLInputElement>('scale-replicas');
  const error = byId<HTMLParagraphElement>('scale-error');
  const form = byId<HTMLFormElement>('scale-form');
  const ns = d.metadata.namespace ?? '';
  const name = d.metadata.name;
  byId('scale-title').textContent = `Scale ${name}`;
  byId('scale-what').textContent =
    `Deployment ${ns}/${name} has ${d.spec?.replicas ?? 1} replicas. Set the new count:`;
  input.value = String(d.spec?.replicas ?? 1);
  error.textContent = '';
  const done = modal(dialog, 'scale-cancel');
  form.onsubmit = async (e) => {
    e.preventDefault();
    const replicas = Number(input.value);
    if (!Number.isInteger(replicas) || replicas < 0) {
      error.textContent = 'replicas must be a whole number, 0 or more';
      return;
    }
    const failed = await postAction('/api/scale', { namespace: ns, name, replicas });
    if (failed) error.textContent = `not scaled: ${failed}`;
    else done();
  };
  dialog.showModal();
  input.focus();
  input.select();
}
