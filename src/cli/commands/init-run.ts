import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../../errors.js';
import {
  buildClusterSpecJsonSchema,
  checkClusterSpec,
  KNOWN_REGIONS,
  renderExampleSpec,
  SCHEMA_FILE_NAME,
} from '../../spec.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { printResult, renderData } from '../support/output.js';

/** Flags of `tugboat init`. */
export interface InitOptions {
  readonly name: string;
  readonly region: string;
  readonly file?: string;
  readonly force: boolean;
}

/** Renders the example, checks it is valid for the given name and region, prints or writes it. */
export async function runInit(io: CliIO, globals: GlobalOptions, options: InitOptions): Promise<number> {
  if (!KNOWN_REGIONS.includes(options.region)) {
    throw new UsageError(`unknown region "${options.region}": use one of ${KNOWN_REGIONS.join(', ')}`);
  }
  const text = renderExampleSpec({ name: options.name, region: options.region });
  const check = checkClusterSpec(text);
  if (!check.ok) {
    const why = check.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new UsageError(`cannot make an example for name "${options.name}": ${why}`);
  }
  if (options.file === undefined) {
    // As `kubectl create --dry-run=client -o json|yaml`: the object itself. YAML is the commented
    // text (the same document, comments kept); JSON is that document as JSON (comments cannot be).
    io.stdout(globals.output === 'json' ? renderData('json', parse(text)) : text);
    return 0;
  }
  const path = resolve(io.cwd, options.file);
  if (existsSync(path) && !options.force) {
    throw new UsageError(`${path} already exists: pass --force to overwrite it, or choose another --file`);
  }
  writeFileSync(path, text, { mode: 0o644 });
  // The schema the spec's first line names, so editor completion works at once; one the user
  // already has is left alone (`tugboat schema > tugboat.schema.json` refreshes it).
  const schemaPath = join(dirname(path), SCHEMA_FILE_NAME);
  const writeSchema = !existsSync(schemaPath);
  if (writeSchema) writeFileSync(schemaPath, `${JSON.stringify(buildClusterSpecJsonSchema(), null, 2)}\n`);
  printResult(
    io,
    globals,
    { name: options.name, file: path, ...(writeSchema ? { schemaFile: schemaPath } : {}) },
    () =>
      `wrote ${path}${writeSchema ? ` and ${schemaPath}` : ''}\n` +
      `next: edit ssh.allowedCidrs, then \`tugboat validate -f ${options.file}\``,
  );
  return 0;
}
