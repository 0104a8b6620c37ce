/** Tiny DOM helpers: every text goes through textContent, never HTML. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | boolean | number | undefined | ((e: Event) => void)>;

/** An element's handlers by event type: one listener per type dispatches to the current one. */
const HANDLERS = new WeakMap<Element, Record<string, (e: Event) => void>>();

function dispatch(this: Element, e: Event): void {
  HANDLERS.get(this)?.[e.type]?.(e);
}

/** Gives `to`'s handlers to `from`, which stays in the page in its place (see morph.ts). */
export function moveHandlers(from: Element, to: Element): void {
  const next = HANDLERS.get(to);
  const prev = HANDLERS.get(from);
  if (!next && !prev) return;
  if (next) for (const type of Object.keys(next)) from.addEventListener(type, dispatch);
  if (next) HANDLERS.set(from, next);
  else HANDLERS.delete(from);
}

/**
 * Makes an element: `h('a', { href: '#/x' }, 'text')`. `on*` attributes become handlers (through
 * a table, so a re-render that keeps the element can hand it the new ones).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') {
      const type = k.slice(2).toLowerCase();
      const handlers = HANDLERS.get(el) ?? {};
      handlers[type] = v;
      HANDLERS.set(el, handlers);
      el.addEventListener(type, dispatch);
    } else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** A captioned table with a header row; rows are arrays of cells. */
export function table(caption: string, head: readonly string[], rows: readonly Child[][]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', { class: 'muted' }, caption),
      h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
    ),
  );
}

/** A link to a pod's view. */
export function podLink(namespace: string, name: string): HTMLAnchorElement {
  return h('a', { href: `#/pod/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}` }, name);
}

/** "3m" / "2h" / "5d" since a timestamp, as kubectl prints ages. */
export function age(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
