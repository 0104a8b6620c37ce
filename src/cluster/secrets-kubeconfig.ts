import type { AwsClients } from '../aws/clients.js';
import { readApiServer } from '../boot/master-endpoint.js';
import { DeploymentError } from '../errors.js';
import { checkClusterName, stackNameOf } from '../naming.js';
import { renderKubeconfig } from '../pki/kubeconfig.js';
import { OUTPUTS } from '../provision/template/names.js';
import { clusterSecrets } from '../secrets/cluster-secrets.js';
import { parsePair } from '../secrets/secrets-plan.js';
import { API_ENDPOINT_OUTPUT } from './types.js';

/** Options of {@link fetchAdminKubeconfig}. */
export interface FetchAdminKubeconfigOptions {
  readonly aws: AwsClients;
  readonly cluster: string;
}

/**
 * The cluster's admin kubeconfig from AWS alone: the API address from the stack's outputs (a
 * master without an Elastic IP or DNS name has none: then the address its master published for
 * workers, `worker/api-server`, which is the private one — reachable from inside the VPC), the CA
 * certificate and admin credential from the cluster's SecureStrings (readable by the account's
 * administrators). For the "no client" rollout and for a machine without the cluster's local
 * state. The text holds a private key: write it 0600.
 */
export async function fetchAdminKubeconfig(options: FetchAdminKubeconfigOptions): Promise<string> {
  const cluster = checkClusterName(options.cluster);
  const { aws } = options;
  const stack = await aws.cloudFormation.describeStack(stackNameOf(cluster));
  if (!stack) {
    throw new DeploymentError(
      'CLUSTER_NOT_FOUND',
      `no stack ${stackNameOf(cluster)} in ${aws.region}: check the name and --region`,
    );
  }
  const keyId = stack.outputs[OUTPUTS.secretsKeyId];
  if (!keyId) {
    throw new DeploymentError(
      'SECRETS_KEY_MISSING',
      `stack ${stack.name} has no ${OUTPUTS.secretsKeyId} output (made by an older tugboat): run tugboat update ${cluster}, or use the kubeconfig from the machine that created it`,
    );
  }
  const server = stack.outputs[API_ENDPOINT_OUTPUT] ?? (await readApiServer(aws.ssm, cluster));
  if (!server) {
    throw new DeploymentError(
      'NO_API_ENDPOINT',
      `stack ${stack.name} has no ${API_ENDPOINT_OUTPUT} output and no master has published its address yet (/tugboat/${cluster}/worker/api-server): wait for the first master to boot, or give the master an Elastic IP or a DNS name (master.eip, api.dns) to reach the API from outside`,
    );
  }
  const store = clusterSecrets({ ssm: aws.ssm, kms: aws.kms, cluster, keyId });
  const [admin, caPem] = await Promise.all([store.get('admin'), store.get('caCert')]);
  if (admin === undefined || caPem === undefined) {
    throw new DeploymentError(
      'SECRETS_NOT_READY',
      `cluster ${cluster} has no admin credential in SSM yet (the first master stores it once it has booted): try again in a minute`,
    );
  }
  return renderKubeconfig({ cluster, server, caPem, user: 'admin', ...parsePair('admin', admin) });
}
