import { execFile } from 'node:child_process';

/** What one kubectl run did. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real kubectl (the /usr/bin/kubectl dispatcher picks the binary matching the server's
 * minor version) against a kubeconfig, with bounded time; `input` goes to stdin (`apply -f -`).
 */
export function kubectl(
  kubeconfig: string,
  args: readonly string[],
  input?: string | Uint8Array,
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, '--request-timeout=30s', ...args],
      { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** kubectl that must succeed; throws with the command and its stderr otherwise. */
export async function kubectlOk(
  kubeconfig: string,
  args: readonly string[],
  input?: string | Uint8Array,
): Promise<string> {
  const res = await kubectl(kubeconfig, args, input);
  if (res.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed (exit ${res.code}): ${res.stderr.trim()}`);
  return res.stdout;
}

/** A pod as the e2e reads it from `kubectl get pods -o json`. */
export interface PodView {
  readonly name: string;
  readonly node: string | undefined;
  readonly phase: string | undefined;
  readonly ready: boolean;
  readonly deleting: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

interface PodJson {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

/** Pods matching a label selector in a namespace. */
export async function listPods(
  kubeconfig: string,
  selector: string,
  namespace = 'default',
): Promise<PodView[]> {
  const out = await kubectlOk(kubeconfig, ['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json']);
  const items = (JSON.parse(out) as { items: PodJson[] }).items;
  return items.map((p) => ({
    name: p.metadata.name,
    node: p.spec.nodeName,
    phase: p.status?.phase,
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    deleting: p.metadata.deletionTimestamp !== undefined,
    labels: p.metadata.labels ?? {},
  }));
}

/** Node name → Ready condition status (`True`, `False`, `Unknown`). */
export async function nodeReadiness(kubeconfig: string): Promise<Map<string, string>> {
  const out = await kubectlOk(kubeconfig, ['get', 'nodes', '-o', 'json']);
  const items = (
    JSON.parse(out) as {
      items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
    }
  ).items;
  return new Map(
    items.map((n) => [
      n.metadata.name,
      n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown',
    ]),
  );
}
