import { describe, expect, it } from 'vitest';
import { createCa } from '../../src/pki/index.js';
import { REDACTED, redact, tail } from '../../src/ssh/redact.js';

describe('redact', () => {
  const key = createCa({ cluster: 'r' }).keyPem;

  it('replaces every occurrence of a token', () => {
    expect(redact('token=abc123def456 again abc123def456', ['abc123def456'])).toBe(
      `token=${REDACTED} again ${REDACTED}`,
    );
  });

  it('removes a whole PEM key and any single line of it', () => {
    const lines = key.trim().split('\n');
    const fragment = `error near: ${lines[1]}`;
    expect(redact(`x\n${key}y`, [key])).toBe(`x\n${REDACTED}y`);
    expect(redact(fragment, [key])).toBe(`error near: ${REDACTED}`);
    expect(redact(fragment, [key])).not.toContain(lines[1]);
  });

  it('removes the base64 form of a secret (as in kubeconfig data fields)', () => {
    const b64 = Buffer.from(key).toString('base64');
    expect(redact(`client-key-data: ${b64}`, [key])).toBe(`client-key-data: ${REDACTED}`);
  });

  it('leaves text without secrets alone and ignores empty secrets', () => {
    expect(redact('nothing to see', ['', 'absent-secret'])).toBe('nothing to see');
  });
});

describe('tail', () => {
  it('keeps the last non-empty lines', () => {
    expect(tail('a\nb\n\nc\nd\n', 2)).toBe('c\nd');
  });
});
