/** A small line chart as SVG (no library: two series of at most an hour of readings). */

export interface Point {
  readonly at: number;
  readonly value: number;
}

const NS = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 120;

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string>,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/**
 * Draws `points` over the last `spanMs` as a polyline scaled to its maximum; the chart is an image
 * with a text alternative that says what it shows (latest and highest value).
 */
export function lineChart(
  id: string,
  title: string,
  points: readonly Point[],
  format: (v: number) => string,
  spanMs: number,
  now = Date.now(),
): SVGSVGElement {
  const max = Math.max(...points.map((p) => p.value), 0) || 1;
  const latest = points.at(-1);
  const summary = latest
    ? `${title}: now ${format(latest.value)}, highest ${format(max)} over the last ${Math.round(spanMs / 60_000)} minutes`
    : `${title}: no readings yet`;
  const svg = el('svg', { id, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': summary, class: 'chart' });
  const t = el('title', {});
  t.textContent = summary;
  svg.append(t, el('line', { x1: '0', y1: String(H - 1), x2: String(W), y2: String(H - 1), class: 'axis' }));
  const xy = points.map((p) => {
    const x = W - ((now - p.at) / spanMs) * W;
    const y = H - 4 - (p.value / max) * (H - 12);
    return `${Math.max(0, x).toFixed(1)},${y.toFixed(1)}`;
  });
  if (xy.length > 0) {
    svg.append(el('polyline', { points: xy.join(' '), class: 'series' }));
    // The latest reading as a dot: one reading alone draws no line.
    const [cx = '0', cy = '0'] = (xy.at(-1) ?? '').split(',');
    svg.append(el('circle', { cx, cy, r: '4', class: 'latest' }));
  }
  const label = el('text', { x: '4', y: '12', class: 'label' });
  label.textContent = `max ${format(max)}`;
  svg.append(label);
  return svg;
}
