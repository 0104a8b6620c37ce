import { stringify } from 'yaml';
import type { CliIO, GlobalOptions, OutputFormat } from './context.js';

/**
 * The one renderer of machine-readable results: indented JSON, or YAML (the `yaml` package,
 * as `kubectl -o yaml`). Loaded only by command bodies, so `tugboat --help` does not pay for it.
 */
export function renderData(format: Exclude<OutputFormat, 'text'>, data: unknown): string {
  return format === 'yaml' ? stringify(data) : `${JSON.stringify(data, null, 2)}\n`;
}

/** Prints a command's result: JSON or YAML for `--output json|yaml`, otherwise the given text. */
export function printResult(io: CliIO, globals: GlobalOptions, result: unknown, text: () => string): void {
  if (globals.output !== 'text') {
    io.stdout(renderData(globals.output, result));
  } else {
    const out = text();
    if (out) io.stdout(out.endsWith('\n') ? out : `${out}\n`);
  }
}
