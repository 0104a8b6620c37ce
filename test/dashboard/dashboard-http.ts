import http from 'node:http';

/** One HTTP answer from the dashboard, read whole (or the first `maxBytes` of a stream). */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A raw request to the dashboard with full control of Host, Origin and cookies (what fetch
 * forbids); a stream is read for `streamMs` and then cut.
 */
export function dashboardRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    streamMs?: number;
  } = {},
): Promise<HttpAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        res.on('end', done);
        if (options.streamMs !== undefined) {
          setTimeout(() => {
            res.destroy();
            done();
          }, options.streamMs);
        }
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A subject of a RoleBinding: a user, or a service account in its namespace. */
export type Subject =
  | { readonly kind: 'User'; readonly name: string }
  | { readonly kind: 'ServiceAccount'; readonly name: string; readonly namespace: string };

/** A ClusterRoleBinding named NAME of the built-in `view` ClusterRole to `subject`. */
export function viewBinding(name: string, subject: Subject) {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [subject.kind === 'User' ? { apiGroup: 'rbac.authorization.k8s.io', ...subject } : subject],
  };
}
