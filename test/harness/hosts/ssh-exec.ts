import ssh2 from 'ssh2';

/** Where and as whom to run a command over SSH, with the host key pinned. */
export interface SshTarget {
  readonly host: string;
  /** @default 22 */
  readonly port?: number;
  /** @default 'root' */
  readonly user?: string;
  /** OpenSSH private key (PEM / OpenSSH format). */
  readonly privateKey: string;
  /** The host key to accept (`ssh-ed25519 AAAA…`); any other key fails the connection. */
  readonly hostPublicKey: string;
}

/** What a remote command did. */
export interface SshResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one command on a simulated host with ssh2 and collects its output. Used by the harness's
 * own tests to look at hosts the way tugboat does: key auth, pinned host key, bounded time.
 */
export function sshExec(target: SshTarget, command: string, timeoutMs = 120_000): Promise<SshResult> {
  const pinned = Buffer.from(target.hostPublicKey.split(' ')[1] ?? '', 'base64');
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const timer = setTimeout(() => {
      client.end();
      reject(new Error(`ssh ${target.host}: ${JSON.stringify(command)} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      client.end();
      reject(new Error(`ssh ${target.host}: ${err.message}`));
    };
    client.once('error', fail);
    client.once('ready', () => {
      client.exec(command, (err, stream) => {
        if (err) return fail(err);
        let stdout = '';
        let stderr = '';
        stream.on('data', (b: Buffer) => {
          stdout += b.toString();
        });
        stream.stderr.on('data', (b: Buffer) => {
          stderr += b.toString();
        });
        stream.once('close', (code: number | null) => {
          clearTimeout(timer);
          client.end();
          resolve({ code, stdout, stderr });
        });
      });
    });
    client.connect({
      host: target.host,
      port: target.port ?? 22,
      username: target.user ?? 'root',
      privateKey: target.privateKey,
      readyTimeout: 30_000,
      hostVerifier: (key: Buffer) => key.equals(pinned),
    });
  });
}
