import https from 'node:https';
import type { TestCert } from './certs.js';

/** A parsed answer of the API server (the body is `{}` unless it is a JSON object). */
export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of Status and objects
  body: any;
}

/** Options of one call: client certificate or bearer token, JSON body and its content type. */
export interface CallOptions {
  cert?: TestCert;
  token?: string;
  body?: unknown;
  contentType?: string;
  /** Extra request headers (e.g. Impersonate-User). */
  headers?: Record<string, string>;
}

/** Returns `call(method, path, options)` for an HTTPS API server at `url` whose CA is `ca`. */
export function tlsCaller(url: () => string, ca: () => string) {
  return (method: string, path: string, options: CallOptions = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
      if (payload) headers['content-type'] = options.contentType ?? 'application/json';
      const req = https.request(
        `${url()}${path}`,
        { method, headers, ca: ca(), cert: options.cert?.cert, key: options.cert?.key },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : {} }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}
