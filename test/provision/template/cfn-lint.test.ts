import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BOOT_TEMPLATE_CONTEXT } from '../../../src/boot/user-data.js';
import { buildTemplate, renderTemplate } from '../../../src/provision/template/index.js';
import { EXAMPLES, loadExample } from '../../support/examples.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), `tugboat-cfn-lint-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs AWS's cfn-lint; returns its exit code and everything it printed. */
async function cfnLint(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('cfn-lint', [file], { timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      output: `${e.stdout ?? ''}${e.stderr ?? ''}${String(err)}`,
    };
  }
}

describe.each(EXAMPLES)('cfn-lint on the template of examples/%s.yaml', (name) => {
  it.each(['json', 'yaml'] as const)('reports zero errors and zero warnings (%s)', async (format) => {
    const file = join(dir, `${name}.${format}`);
    writeFileSync(file, renderTemplate(buildTemplate(loadExample(name), BOOT_TEMPLATE_CONTEXT), format));
    const result = await cfnLint(file);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('cfn-lint itself', () => {
  it('does flag a broken template (so a clean result means something)', async () => {
    const template = buildTemplate(loadExample('minimal'));
    const broken = {
      ...template,
      Resources: { ...template.Resources, Oops: { Type: 'AWS::EC2::Subnet', Properties: { CidrBlock: 7 } } },
    };
    const file = join(dir, 'broken.json');
    writeFileSync(file, renderTemplate(broken));
    const result = await cfnLint(file);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/E\d{4}/);
  });
});
