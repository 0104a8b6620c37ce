/**
 * A label selector in its string form, as a Scale's `status.selector` carries it
 * (`app=web,tier in (a,b),!canary`), compiled to a predicate over labels; what does not parse
 * throws (kube's labels.Parse). Bounded: at most 100 requirements.
 */
export function compileSelector(text: string): (labels: Record<string, string> | undefined) => boolean {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  if (parts.length > 100) throw new Error(`selector has more than 100 requirements`);
  const KEY = /^([A-Za-z0-9][-A-Za-z0-9_.]*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
  const tests = parts.map((raw) => {
    const p = raw.trim();
    const set = /^(\S+)\s+(in|notin)\s+\(([^()]*)\)$/.exec(p);
    if (set) {
      const [, key = '', op, list = ''] = set;
      const values = list.split(',').map((v) => v.trim());
      if (!KEY.test(key)) throw new Error(`invalid label key "${key}"`);
      return op === 'in'
        ? (l: Record<string, string>) => l[key] !== undefined && values.includes(l[key])
        : (l: Record<string, string>) => l[key] === undefined || !values.includes(l[key]);
    }
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(p);
    if (eq) {
      const [, key = '', op, value = ''] = eq;
      if (!KEY.test(key)) throw new Error(`invalid label key "${key}"`);
      return op === '!='
        ? (l: Record<string, string>) => l[key] !== value
        : (l: Record<string, string>) => l[key] === value;
    }
    const not = p.startsWith('!');
    const key = not ? p.slice(1).trim() : p;
    if (!KEY.test(key)) throw new Error(`unable to parse requirement: "${p}"`);
    return not
      ? (l: Record<string, string>) => l[key] === undefined
      : (l: Record<string, string>) => l[key] !== undefined;
  });
  return (labels) => tests.every((t) => t(labels ?? {}));
}
