import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  API_SERVERS_FILE,
  buildApiServerUrls,
  loadSavedApiServers,
  saveApiServers,
} from '../../src/agent/api-server-list.js';
import { RecordingEvents } from '../../src/events.js';
import type { Endpoints } from '../../src/kube/index.js';

const endpoints = (subsets: Endpoints['subsets']): Endpoints => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name: 'kubernetes', namespace: 'default' },
  subsets,
});

describe('buildApiServerUrls', () => {
  it('gives https://<ip>:<port> for every address, with the port named https', () => {
    const got = buildApiServerUrls(
      endpoints([
        {
          addresses: [{ ip: '10.0.1.5' }, { ip: '10.0.2.7' }, { ip: '10.0.1.5' }],
          ports: [
            { name: 'metrics', port: 9000 },
            { name: 'https', port: 6443, protocol: 'TCP' },
          ],
        },
        { addresses: [{ ip: 'fd00::1' }], ports: [{ port: 8443 }] },
      ]),
    );
    expect(got).toEqual(['https://10.0.1.5:6443', 'https://10.0.2.7:6443', 'https://[fd00::1]:8443']);
  });

  it('skips what is not an IP or has no usable port, and caps the list at 16', () => {
    expect(buildApiServerUrls(undefined)).toEqual([]);
    expect(
      buildApiServerUrls(
        endpoints([
          {
            addresses: [{ ip: 'evil.example/x' }, { ip: '10.0.0.1' }],
            ports: [{ name: 'https', port: 6443 }],
          },
          { addresses: [{ ip: '10.0.0.2' }], ports: [{ name: 'https', port: 70000 }] },
          {
            addresses: [{ ip: '10.0.0.3' }],
            ports: [
              { name: 'a', port: 1 },
              { name: 'b', port: 2 },
            ],
          },
          { addresses: [{ ip: '10.0.0.4' }] },
        ]),
      ),
    ).toEqual(['https://10.0.0.1:6443']);
    const many = Array.from({ length: 40 }, (_, i) => ({ ip: `10.0.3.${i}` }));
    expect(
      buildApiServerUrls(endpoints([{ addresses: many, ports: [{ name: 'https', port: 6443 }] }])),
    ).toHaveLength(16);
  });
});

describe('api-servers.json', () => {
  let dir: string;
  let events: RecordingEvents;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), `tugboat-api-servers-${process.pid}-`));
    events = new RecordingEvents();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const warnings = () => events.events.filter((e) => e.code === 'agent.api-servers.file-ignored');

  it('round-trips, written 0600 with no temp file left', () => {
    expect(loadSavedApiServers(dir, events)).toEqual([]);
    saveApiServers(dir, ['https://10.0.0.1:6443/', 'https://10.0.0.2:6443/']);
    expect(statSync(join(dir, API_SERVERS_FILE)).mode & 0o777).toBe(0o600);
    expect(loadSavedApiServers(dir, events)).toEqual(['https://10.0.0.1:6443/', 'https://10.0.0.2:6443/']);
    expect(readFileSync(join(dir, API_SERVERS_FILE), 'utf8')).toContain('"servers"');
    expect(warnings()).toEqual([]);
    saveApiServers(dir, ['https://10.0.0.3:6443/']);
    expect(loadSavedApiServers(dir, events)).toEqual(['https://10.0.0.3:6443/']);
  });

  it.each([
    ['not JSON', '{"servers": [', /not JSON/],
    ['the wrong shape', '["https://10.0.0.1:6443"]', /expected \{"servers"/],
    ['a plain http server', '{"servers": ["http://10.0.0.1:6443"]}', /must be an https/],
    ['a non-string', '{"servers": [42]}', /must be an https/],
    ['a huge file', `{"servers": [], "pad": "${'x'.repeat(70_000)}"}`, /over the 65536 byte limit/],
  ])('ignores %s with a warning', (_what, text, why) => {
    writeFileSync(join(dir, API_SERVERS_FILE), text);
    expect(loadSavedApiServers(dir, events)).toEqual([]);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.message).toMatch(why);
    expect(warnings()[0]!.level).toBe('warn');
  });

  it('ignores a directory in its place with a warning', () => {
    mkdirSync(join(dir, API_SERVERS_FILE));
    expect(loadSavedApiServers(dir, events)).toEqual([]);
    expect(warnings()[0]!.message).toMatch(/not a regular file/);
  });
});
