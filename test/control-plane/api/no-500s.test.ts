import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warningHeader } from '../../../src/control-plane/api/fields.js';
import { RecordingEvents } from '../../../src/events.js';
import { field, varint } from '../../support/api-fuzz.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';

// Regression tests for the two 500s of issue #19, finding 6.
let srv: RunningApiServer;
const events = new RecordingEvents();

beforeAll(async () => {
  srv = await startApiServer({ events });
});
afterAll(async () => {
  await srv?.stop();
});

const bytes = (num: number, data: Buffer | string) =>
  field(num, typeof data === 'string' ? Buffer.from(data) : data);
const num = (field: number, n: bigint): Buffer => Buffer.from([...varint(BigInt(field << 3)), ...varint(n)]);

describe('unknown fields outside Latin-1', () => {
  it('answers 201 with an escaped Warning header that client-go unquotes to the field name', async () => {
    const res = await fetch(`${srv.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'utf8-field', 'ключ☃': 1 }, 'données"\n': 2 }),
    });
    expect(res.status).toBe(201);
    const warning = res.headers.get('warning') ?? '';
    expect(warning).toContain('299 - "unknown field \\"metadata.\\u043a\\u043b\\u044e\\u0447\\u2603\\""');
    expect(warning).toContain('299 - "unknown field \\"donn\\u00e9es\\"\\n\\""');
    expect(events.events.filter((e) => e.code === 'api.error')).toEqual([]);
  });

  it('caps the Warning headers at 4 KiB and says how many were left out', async () => {
    const metadata: Record<string, unknown> = { name: 'many-fields' };
    for (let i = 0; i < 2000; i++) metadata[`extra-${i}`] = i;
    const res = await fetch(`${srv.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata }),
    });
    expect(res.status).toBe(201);
    const warning = res.headers.get('warning') ?? '';
    expect(warning.length).toBeLessThan(4096 + 400);
    expect(warning).toMatch(/\d+ more unknown fields not listed/);
  });

  it('quotes like Go strconv.QuoteToASCII', () => {
    expect(warningHeader('a "b" \\ \u0000 \u007f é 😀')).toBe(
      '299 - "a \\"b\\" \\\\ \\x00 \\x7f \\u00e9 \\U0001f600"',
    );
  });
});

describe('protobuf times out of range', () => {
  it('answers 400 for creationTimestamp.seconds of 2^62 instead of 500', async () => {
    const meta = Buffer.concat([bytes(1, 'far-future'), bytes(8, num(1, 2n ** 62n))]);
    const body = Buffer.concat([
      Buffer.from('k8s\u0000', 'latin1'),
      bytes(1, Buffer.concat([bytes(1, 'v1'), bytes(2, 'ConfigMap')])),
      bytes(2, bytes(1, meta)),
    ]);
    const res = await fetch(`${srv.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
      body,
    });
    expect(res.status).toBe(400);
    const status = (await res.json()) as { reason: string; message: string };
    expect(status.reason).toBe('BadRequest');
    expect(status.message).toContain('metadata.creationTimestamp');
    expect(events.events.filter((e) => e.code === 'api.error')).toEqual([]);
  });
});
