import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ApiServerOptions } from '../../src/control-plane/api/server.js';
import { type RunningApiServer, startApiServer, writeKubeconfig } from './api-server.js';
import { makeTestPki, type TestCert, type TestPki } from './certs.js';
import { type KubectlRun, runKubectl } from './control-cluster.js';
import { type Answer, type CallOptions, tlsCaller } from './tls-call.js';

/** An API server over TLS for a suite of real kubectl runs as a `system:masters` admin. */
export interface KubectlServer {
  /** The running server (set once `beforeAll` has run). */
  readonly srv: () => RunningApiServer;
  readonly kubectl: (args: readonly string[], input?: string) => Promise<KubectlRun>;
  /** Runs kubectl and expects exit code 0 (stderr in the failure message); returns stdout. */
  readonly ok: (args: readonly string[], input?: string) => Promise<string>;
  /** A raw HTTPS call as the same admin (for requests kubectl cannot make). */
  readonly call: (method: string, path: string, options?: CallOptions) => Promise<Answer>;
}

/**
 * Starts an API server reporting kubectl minor `minor` (the /usr/bin/kubectl dispatcher then runs
 * that kubectl) in `beforeAll`, and stops it and removes its certificates in `afterAll`.
 */
export function useKubectlServer(minor: string, extra: Partial<ApiServerOptions> = {}): KubectlServer {
  let pki: TestPki;
  let srv: RunningApiServer;
  let env: NodeJS.ProcessEnv;
  let admin: TestCert;
  const kubectl = (args: readonly string[], input?: string) => runKubectl(env, args, 60_000, input);
  const ok = async (args: readonly string[], input?: string): Promise<string> => {
    const r = await kubectl(args, input);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  beforeAll(async () => {
    pki = makeTestPki();
    srv = await startApiServer({
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
      minorVersion: minor,
      ...extra,
    });
    admin = pki.client('admin', ['system:masters']);
    const kubeconfig = writeKubeconfig(pki, srv.url, admin);
    env = { PATH: process.env.PATH, HOME: pki.dir, KUBECONFIG: kubeconfig };
  });
  afterAll(async () => {
    await srv?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });
  const raw = tlsCaller(
    () => srv.url,
    () => pki.ca.cert,
  );
  const call = (method: string, path: string, options: CallOptions = {}) =>
    raw(method, path, { cert: admin, ...options });
  return { srv: () => srv, kubectl, ok, call };
}
