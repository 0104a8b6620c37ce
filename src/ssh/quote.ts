/**
 * POSIX shell quoting. Every value interpolated into a remote command goes through `quote()`
 * (directly or via the `sh` tag), so a value can never end the word it is in: it is wrapped in
 * single quotes, inside which a shell interprets nothing, and each embedded `'` becomes `'\''`.
 */
export function quote(value: string | number): string {
  const text = String(value);
  if (text.includes('\0')) {
    throw new Error(`cannot pass a NUL byte to a shell command (in ${JSON.stringify(text)}): remove it`);
  }
  // Words made only of these characters mean the same quoted or not; leave them bare for readable logs.
  if (text !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Tagged template for shell commands: every `${value}` is quoted with {@link quote}; arrays become
 * several quoted words. Example: sh`mkdir -p ${dir} && chmod 0700 ${dir}`.
 */
export function sh(
  strings: TemplateStringsArray,
  ...values: ReadonlyArray<string | number | readonly (string | number)[]>
): string {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += Array.isArray(value) ? value.map(quote).join(' ') : quote(value as string | number);
    out += strings[i + 1] ?? '';
  });
  return out;
}
