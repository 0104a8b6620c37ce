import { readFileSync } from 'node:fs';
import { type ClusterSpec, parseClusterSpec } from '../../src/config/index.js';

/** The example specs kept in examples/ (each must stay valid, lint-clean and deployable). */
export const EXAMPLES = [
  'minimal',
  'three-az',
  'existing-vpc',
  'route53-eip',
  'e2e',
  'single-node',
  'ha-masters',
] as const;
export type ExampleName = (typeof EXAMPLES)[number];

/** The text of examples/<name>.yaml, with optional literal replacements (e.g. real moto ids). */
export function exampleText(name: ExampleName, replace: Readonly<Record<string, string>> = {}): string {
  let text = readFileSync(new URL(`../../examples/${name}.yaml`, import.meta.url), 'utf8');
  for (const [from, to] of Object.entries(replace)) text = text.split(from).join(to);
  return text;
}

/** The parsed, validated spec of an example. */
export function loadExample(name: ExampleName, replace?: Readonly<Record<string, string>>): ClusterSpec {
  return parseClusterSpec(exampleText(name, replace), `examples/${name}.yaml`);
}
