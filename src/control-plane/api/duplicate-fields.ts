/**
 * Paths of keys that appear twice in one object of a JSON text, as kube-apiserver's strict decoder
 * (sigs.k8s.io/json) names them: `spec.replicas`, `spec.containers[0].image`. `JSON.parse` keeps the
 * last value silently, so this reads the text itself: one pass, one frame per open object or array,
 * for text `JSON.parse` has already accepted (so it is well-formed and its depth checked).
 */
export function duplicateFieldPaths(text: string): string[] {
  interface Frame {
    readonly path: string;
    readonly keys?: Set<string>;
    index: number;
    key?: string;
  }
  const found: string[] = [];
  const stack: Frame[] = [];
  const childPath = (frame: Frame | undefined): string => {
    if (!frame) return '';
    if (frame.keys) return frame.path ? `${frame.path}.${frame.key}` : (frame.key ?? '');
    return `${frame.path}[${frame.index}]`;
  };
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) found.push(top.path ? `${top.path}.${key}` : key);
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = end;
    } else if (ch === '{' || ch === '[') {
      const parent = stack[stack.length - 1];
      stack.push({ path: childPath(parent), keys: ch === '{' ? new Set() : undefined, index: 0 });
      expectKey = ch === '{';
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      const top = stack[stack.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    }
  }
  return found;
}
