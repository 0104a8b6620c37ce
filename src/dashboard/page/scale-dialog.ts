import type { Obj } from './state.js';

export interface Access {
  readonly allowed: boolean;
  readonly reason: string;
}

/** What the user may do per namespace, asked once per namespace (SelfSubjectAccessReview on the server). */
export class ScaleAccess {
  private readonly cache = new Map<string, Access | 'pending'>();

  constructor(private readonly changed: () => void) {}

  /** The answer for `namespace`, or undefined while it is being asked. */
  get(namespace: string): Access | undefined {
    const hit = this.cache.get(namespace);
    if (hit === 'pending') return undefined;
    if (hit) return hit;
    this.cache.set(namespace, 'pending');
    void fetch(`/api/access?namespace=${encodeURIComponent(namespace)}`)
      .then(async (r) => {
        const body = await r.json();
        return r.ok
          ? (body.scale as Access)
          : { allowed: false, reason: `cannot check access: ${body.message}` };
      })
      .catch((err: Error) => ({ allowed: false, reason: `cannot check access: ${err.message}` }))
      .then((a) => {
        this.cache.set(namespace, a);
        this.changed();
      });
    return undefined;
  }
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

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
  const opener = document.activeElement as HTMLElement | null;
  const done = () => {
    dialog.close();
    opener?.focus();
  };
  byId<HTMLButtonElement>('scale-cancel').onclick = done;
  form.onsubmit = async (e) => {
    e.preventDefault();
    const replicas = Number(input.value);
    if (!Number.isInteger(replicas) || replicas < 0) {
      error.textContent = 'replicas must be a whole number, 0 or more';
      return;
    }
    const r = await fetch('/api/scale', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: ns, name, replicas }),
    });
    if (r.ok) done();
    else error.textContent = `not scaled: ${(await r.json()).message}`;
  };
  dialog.showModal();
  input.focus();
  input.select();
}
