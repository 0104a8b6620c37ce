import { type ChildProcess, spawn } from 'node:child_process';

/**
 * `kubectl get configmaps -l SELECTOR --watch -o name` against one API server (`--server`, the
 * kubeconfig's credentials): collects the names it prints, and whether it ended on its own.
 * kubectl takes one server per kubeconfig cluster and `get --watch` does not reconnect, so the
 * watch is opened on a master that stays up; what it proves is that a surviving API server's watch
 * keeps delivering every write while another master (and its etcd member) dies.
 */
export class KubectlWatch {
  readonly names = new Set<string>();
  /** Set when kubectl exited before {@link stop}: code and the end of its stderr. */
  exited: string | undefined;
  private readonly child: ChildProcess;
  private stderr = '';
  private pending = '';

  constructor(kubeconfig: string, server: string, selector: string) {
    this.child = spawn(
      'kubectl',
      [
        '--kubeconfig',
        kubeconfig,
        '--server',
        server,
        'get',
        'configmaps',
        '-l',
        selector,
        '--watch',
        '-o',
        'name',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (this.pending + chunk.toString()).split('\n');
      this.pending = lines.pop() ?? '';
      for (const line of lines)
        if (line.startsWith('configmap/')) this.names.add(line.slice('configmap/'.length));
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-2000);
    });
    this.child.on('exit', (code, signal) => {
      this.exited ??= `kubectl watch exited (${code ?? signal}): ${this.stderr.trim()}`;
    });
  }

  /** Stops kubectl (by its PID) and waits for it. */
  async stop(): Promise<void> {
    if (this.exited !== undefined || this.child.exitCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.exited = 'stopped';
    this.child.kill('SIGTERM');
    await gone;
  }
}
