import { CelScalar, celFunc, celMethod, listType, mapType } from '@bufbuild/cel';
import { MeteredList, MeteredMap } from './cel-cost.js';
import { chargeText, currentMeter, need, unwrap, wrap } from './cel-lib-meter.js';

/**
 * The Kubernetes URL library (k8s.io/apiserver/pkg/cel/library/urls.go). `url()` and `isURL()`
 * accept what Go's url.ParseRequestURI accepts (an absolute URL or an absolute path); the getters
 * answer as Go's url.URL does after url.Parse (so a `#fragment` is dropped).
 */
export interface Url {
  readonly scheme: string;
  readonly opaque: string;
  readonly host: string;
  readonly path: string;
  readonly rawPath: string;
  readonly rawQuery: string;
}

const goQuote = (s: string) => JSON.stringify(s);

function fail(raw: string, why: string): Error {
  return new Error(`URL parse error during conversion from string: parse ${goQuote(raw)}: ${why}`);
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** Go's unescape: %XX decoded as UTF-8 bytes; a bad escape is an error. */
function percentDecode(s: string, raw: string, plusSpace = false): string {
  if (!s.includes('%') && !(plusSpace && s.includes('+'))) return s;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!HEX.test(h)) throw fail(raw, `invalid URL escape ${goQuote(s.slice(i, i + 3))}`);
      bytes.push(Number.parseInt(h, 16));
      i += 2;
    } else if (c === '+' && plusSpace) bytes.push(32);
    else bytes.push(...enc.encode(c));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Characters a path keeps unescaped (Go's shouldEscape in encodePath mode). */
const PATH_SAFE = /^[A-Za-z0-9\-_.~$&+,/:;=@]$/;
/** Characters Go's validEncoded allows in a raw path besides the above. */
const PATH_ALL_VALID = /^[A-Za-z0-9\-_.~$&+,/:;=@!'()*[\]%]*$/;

function escapePath(path: string): string {
  let out = '';
  for (const ch of path) {
    if (PATH_SAFE.test(ch)) out += ch;
    else
      for (const b of new TextEncoder().encode(ch))
        out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** An ASCII character Go refuses in a host (non-ASCII passes, as Go's shouldEscape lets it). */
const HOST_BAD = /[^A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%\u0080-\uffff]/;

function validPort(p: string): boolean {
  return p === '' || /^:[0-9]*$/.test(p);
}

function parseHost(host: string, raw: string): string {
  if (host.startsWith('[')) {
    const end = host.lastIndexOf(']');
    if (end < 0) throw fail(raw, "missing ']' in host");
    const port = host.slice(end + 1);
    if (!validPort(port)) throw fail(raw, `invalid port ${goQuote(port)} after host`);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !validPort(host.slice(colon)))
      throw fail(raw, `invalid port ${goQuote(host.slice(colon))} after host`);
  }
  const bad = HOST_BAD.exec(host);
  if (bad) throw fail(raw, `invalid character ${goQuote(bad[0])} in host name`);
  return percentDecode(host, raw);
}

/** Go's url.ParseRequestURI, then the fragment split of url.Parse. */
export function parseUrl(raw: string): Url {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go refuses control characters
  if (/[\x00-\x1f\x7f]/.test(raw)) throw fail(raw, 'net/url: invalid control character in URL');
  if (raw === '') throw fail(raw, 'empty url');
  const hash = raw.indexOf('#');
  let rest = hash >= 0 ? raw.slice(0, hash) : raw;
  let scheme = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (m) {
    scheme = (m[1] as string).toLowerCase();
    rest = rest.slice(m[0].length);
  } else if (/^:/.test(rest)) throw fail(raw, 'missing protocol scheme');
  let rawQuery = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith('/')) {
    if (scheme) return { scheme, opaque: rest, host: '', path: '', rawPath: '', rawQuery };
    // ParseRequestURI saw the whole string (fragment included) as the path.
    if (raw !== '*') throw fail(raw, 'invalid URI for request');
    return { scheme, opaque: '', host: '', path: '*', rawPath: '*', rawQuery };
  }
  let host = '';
  if (scheme && rest.startsWith('//')) {
    const auth = rest.slice(2);
    const slash = auth.indexOf('/');
    const authority = slash >= 0 ? auth.slice(0, slash) : auth;
    rest = slash >= 0 ? auth.slice(slash) : '';
    const at = authority.lastIndexOf('@');
    host = parseHost(at >= 0 ? authority.slice(at + 1) : authority, raw);
  }
  const path = percentDecode(rest, raw);
  return { scheme, opaque: '', host, path, rawPath: rest, rawQuery };
}

function escapedPath(u: Url): string {
  if (u.rawPath !== '' && PATH_ALL_VALID.test(u.rawPath)) return u.rawPath;
  return u.path === '*' ? '*' : escapePath(u.path);
}

function splitHostPort(host: string): [string, string] {
  const colon = host.lastIndexOf(':');
  let h = host;
  let port = '';
  if (colon >= 0 && validPort(host.slice(colon)) && !(host.startsWith('[') && colon < host.indexOf(']'))) {
    h = host.slice(0, colon);
    port = host.slice(colon + 1);
  }
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return [h, port];
}

/** Go's url.ParseQuery as url.Query uses it: pairs with a `;` or a bad escape are dropped. */
function query(rawQuery: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    try {
      const k = percentDecode(eq >= 0 ? pair.slice(0, eq) : pair, '', true);
      const v = eq >= 0 ? percentDecode(pair.slice(eq + 1), '', true) : '';
      out.set(k, [...(out.get(k) ?? []), v]);
    } catch {
      // skipped, as Go does
    }
  }
  return out;
}

function canonical(u: Url): string {
  return JSON.stringify([u.scheme, u.opaque, u.host, u.path, u.rawQuery]);
}

const U = (v: unknown) => need<Url>('url', v);
const STRING = CelScalar.STRING;

export const urlLibrary = [
  celFunc('isURL', [STRING], CelScalar.BOOL, (s) => {
    chargeText(s);
    try {
      parseUrl(s);
      return true;
    } catch {
      return false;
    }
  }),
  celFunc('url', [STRING], CelScalar.DYN, (s) => {
    chargeText(s);
    const u = parseUrl(s);
    return wrap('url', canonical(u), u, s);
  }),
  celMethod('getScheme', CelScalar.DYN, [], STRING, function () {
    return U(this).scheme;
  }),
  celMethod('getHost', CelScalar.DYN, [], STRING, function () {
    return U(this).host;
  }),
  celMethod('getHostname', CelScalar.DYN, [], STRING, function () {
    return splitHostPort(U(this).host)[0];
  }),
  celMethod('getPort', CelScalar.DYN, [], STRING, function () {
    return splitHostPort(U(this).host)[1];
  }),
  celMethod('getEscapedPath', CelScalar.DYN, [], STRING, function () {
    return escapedPath(U(this));
  }),
  celMethod('getQuery', CelScalar.DYN, [], mapType(STRING, listType(STRING)), function () {
    const u = U(this);
    chargeText(u.rawQuery);
    const meter = currentMeter();
    const q = query(u.rawQuery);
    if (!meter) return q;
    // Metered like self's maps and lists, so loops over a large query stop at the limit.
    return new MeteredMap(
      [...q].map(([k, v]) => [k, MeteredList.of2(v, meter)] as const),
      meter,
    );
  }),
];

/** True when `v` is a URL value (for tests). */
export function isUrlValue(v: unknown): boolean {
  return unwrap('url', v) !== undefined;
}
