import { UsageError } from './errors.js';

/**
 * Splits a listen address `host:port` (IPv6 in brackets) for the control plane and the agent alike;
 * the error names the setting (`what`) and shows `example`.
 */
export function parseListen(listen: string, what: string, example: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${what} "${listen}" is not host:port: use e.g. ${example}`);
  }
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port };
}
