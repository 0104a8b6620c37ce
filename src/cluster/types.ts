import type { AwsClients } from '../aws/clients.js';
import type { Tags } from '../aws/types.js';
import type { EventSink } from '../events.js';
import type { ClusterSettings } from '../provision/template/index.js';

/** What every cluster operation takes: its clients, where to report, and how to stop it. */
export interface LifecycleOptions {
  readonly aws: AwsClients;
  /** Progress events. @default silentEvents */
  readonly events?: EventSink;
  /** Stops the operation between AWS calls; re-running the same operation continues. */
  readonly signal?: AbortSignal;
  /** Poll interval of every wait. @default 5_000 */
  readonly pollIntervalMs?: number;
  /** Upper bound on each wait. @default 3_600_000 */
  readonly timeoutMs?: number;
}

/**
 * A rendered cluster: the CloudFormation template and its parameter values (pure output of the
 * template builders). The stack manager only ever sees this, never the spec.
 */
export interface ClusterDefinition {
  readonly name: string;
  readonly template: object;
  /** Every parameter value, explicitly; the key pair parameter is filled in by create/update. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Name of the template parameter that takes the EC2 key pair name. @default 'KeyName' */
  readonly keyNameParameter?: string;
  /** Use this OpenSSH public key instead of generating one (`ssh.publicKeyFile`). @default generate */
  readonly publicKeyFile?: string;
  /** Groups whose instances get pool EIPs on create/update (`master` for the master). @default none */
  readonly eipGroups?: readonly string[];
  /** Extra stack tags (every stack also gets `tugboat:cluster=<name>`). @default {} */
  readonly tags?: Tags;
  /** SSH user/address and group labels for the bootstrap. @default the deployed stack's BootstrapSettings output */
  readonly settings?: ClusterSettings;
}

/** The stack output that holds the API endpoint, when the template has one. */
export const API_ENDPOINT_OUTPUT = 'ApiEndpoint';
