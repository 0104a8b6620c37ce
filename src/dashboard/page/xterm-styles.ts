/**
 * xterm.js writes its measured sizes and theme colours into `<style>` elements inside the terminal,
 * which the page's strict CSP (`style-src 'self'`, no 'unsafe-inline') does not apply. This mirrors
 * each such element's text into a constructed stylesheet adopted by the document (CSP governs
 * style elements and attributes, not stylesheets built through the CSSOM), following every change.
 * Returns what stops the mirroring and drops the sheets.
 */
export function mirrorStyles(root: HTMLElement): () => void {
  const sheets = new Map<HTMLStyleElement, { sheet: CSSStyleSheet; text: string }>();
  const sync = () => {
    const present = new Set(root.querySelectorAll('style'));
    for (const [el, entry] of sheets) {
      if (present.has(el)) continue;
      sheets.delete(el);
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== entry.sheet);
    }
    for (const el of present) {
      const text = el.textContent ?? '';
      let entry = sheets.get(el);
      if (!entry) {
        entry = { sheet: new CSSStyleSheet(), text: '' };
        sheets.set(el, entry);
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, entry.sheet];
      }
      if (entry.text !== text) {
        entry.sheet.replaceSync(text);
        entry.text = text;
      }
    }
  };
  const observer = new MutationObserver(sync);
  observer.observe(root, { childList: true, subtree: true, characterData: true });
  return () => {
    observer.disconnect();
    const mine = new Set([...sheets.values()].map((e) => e.sheet));
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => !mine.has(s));
    sheets.clear();
  };
}
