import { lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { MAX_SERVERS } from '../client/transport.js';
import type { EventSink } from '../events.js';
import type { Endpoints } from '../kube/index.js';

/** File under the agent's data dir holding the API servers last seen in the `kubernetes` Endpoints. */
export const API_SERVERS_FILE = 'api-servers.json';

/** Largest api-servers.json read (16 URLs fit in well under 4 KiB). */
const MAX_FILE_BYTES = 64 * 1024;

/**
 * The API server URLs the `kubernetes` Endpoints list: `https://<ip>:<port>` for every ready
 * address of every subset, with the subset's port named `https` (or its only port). Addresses
 * that are not IPs and ports out of range are skipped. Pure.
 */
export function buildApiServerUrls(endpoints: Endpoints | undefined): string[] {
  const urls: string[] = [];
  for (const subset of endpoints?.subsets ?? []) {
    const ports = subset.ports ?? [];
    const port = (ports.find((p) => p.name === 'https') ?? (ports.length === 1 ? ports[0] : undefined))?.port;
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) continue;
    for (const address of subset.addresses ?? []) {
      const ip = address?.ip;
      if (typeof ip !== 'string') continue;
      const family = isIP(ip);
      if (family === 0) continue;
      const url = family === 6 ? `https://[${ip}]:${port}` : `https://${ip}:${port}`;
      if (!urls.includes(url)) urls.push(url);
    }
  }
  return urls.slice(0, MAX_SERVERS);
}

/**
 * The API servers a previous run saved in `<dataDir>/api-servers.json`, or none. A missing file
 * is normal; a malformed, oversized or otherwise unreadable one is reported as a warning and
 * ignored (the configured servers still apply).
 */
export function loadSavedApiServers(dataDir: string, events: EventSink): string[] {
  const file = join(dataDir, API_SERVERS_FILE);
  const ignore = (why: string): string[] => {
    events.emit({
      code: 'agent.api-servers.file-ignored',
      level: 'warn',
      message: `ignoring ${file}: ${why}; the configured API servers are used`,
      data: { file },
    });
    return [];
  };
  let text: string;
  try {
    const stat = lstatSync(file);
    if (!stat.isFile()) return ignore('not a regular file');
    if (stat.size > MAX_FILE_BYTES)
      return ignore(`${stat.size} bytes is over the ${MAX_FILE_BYTES} byte limit`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? [] : ignore(`cannot read it (${code ?? (err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return ignore(`not JSON (${(err as Error).message})`);
  }
  const servers = (parsed as { servers?: unknown } | null)?.servers;
  if (!Array.isArray(servers)) return ignore('expected {"servers": ["https://<ip>:<port>", ...]}');
  const valid = servers.filter((s): s is string => typeof s === 'string' && isHttpsUrl(s));
  if (valid.length !== servers.length) return ignore('every server must be an https:// URL');
  return valid.slice(0, MAX_SERVERS);
}

/** Writes the servers to `<dataDir>/api-servers.json` atomically (temp file + rename), mode 0600. */
export function saveApiServers(dataDir: string, servers: readonly string[]): void {
  const file = join(dataDir, API_SERVERS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  // A temp file left by a crash could have another mode: start from none.
  rmSync(tmp, { force: true });
  try {
    writeFileSync(tmp, `${JSON.stringify({ servers }, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function isHttpsUrl(s: string): boolean {
  try {
    return new URL(s).protocol === 'https:';
  } catch {
    return false;
  }
}
