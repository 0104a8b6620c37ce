import { moveHandlers } from './dom.js';

/**
 * Patches the live DOM into the shape of a freshly rendered tree instead of replacing it, so the
 * elements a user is pointing at, typing into or has scrolled stay the same objects across live
 * updates (a replaced button between mouse-down and click loses the click). Children are matched
 * by position; an element only stands in for one of the same tag, namespace and `data-key`.
 * Attributes are copied, text is updated, and event handlers move to the kept element (see
 * `h`'s handler table in dom.ts), so a kept button acts on what the new render meant. An element
 * with `data-live` keeps its children: the page manages what is in it.
 */
export function morph(from: ChildNode, to: Node): void {
  if (from === to) return;
  if (!sameKind(from, to)) {
    from.replaceWith(to);
    return;
  }
  if (!(from instanceof Element) || !(to instanceof Element)) {
    if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
    return;
  }
  syncAttributes(from, to);
  moveHandlers(from, to);
  // A slot the page fills itself (the terminal): its children are not the render's to change.
  if (!from.hasAttribute('data-live')) morphChildren(from, to);
}

/** Makes `parent`'s children match `next`'s, keeping what can be kept. */
export function morphChildren(parent: Element, next: ParentNode): void {
  // A snapshot: replaceWith and append move nodes out of `next`.
  const wanted = [...next.childNodes];
  for (const [i, want] of wanted.entries()) {
    const have = parent.childNodes[i];
    if (have) morph(have, want);
    else parent.append(want);
  }
  while (parent.childNodes.length > wanted.length) parent.lastChild?.remove();
}

function sameKind(a: Node, b: Node): boolean {
  if (a.nodeType !== b.nodeType) return false;
  if (!(a instanceof Element) || !(b instanceof Element)) return true;
  return (
    a.localName === b.localName &&
    a.namespaceURI === b.namespaceURI &&
    a.getAttribute('data-key') === b.getAttribute('data-key')
  );
}

function syncAttributes(from: Element, to: Element): void {
  for (const { name } of [...from.attributes]) if (!to.hasAttribute(name)) from.removeAttribute(name);
  for (const { name, value } of [...to.attributes])
    if (from.getAttribute(name) !== value) from.setAttribute(name, value);
}
