export { connectSsh, type RetryOptions, type SshConnectOptions, type SshEndpoint } from './connect.js';
export { CommandTimeoutError, HostKeyError, type HostKeyProblem, SshConnectError } from './errors.js';
export { checkHostKey, type HostKeyAcceptance, type HostKeyPolicy } from './host-key-policy.js';
export {
  fingerprint,
  hashHostName,
  type KnownHostEntry,
  KnownHostsFile,
  knownHostName,
  parseKnownHosts,
  parsePublicKeyLine,
} from './known-hosts.js';
export { LocalShell, type LocalShellOptions } from './local-shell.js';
export { quote, sh } from './quote.js';
export { REDACTED, redact, tail } from './redact.js';
export {
  type ExecOptions,
  type ExecResult,
  type RemoteShell,
  type RunOptions,
  runChecked,
} from './remote-shell.js';
export { type AttachOptions, SshShell } from './ssh-shell.js';
