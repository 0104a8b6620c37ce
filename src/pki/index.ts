export {
  type CertificateAuthority,
  type CreateCaOptions,
  createCa,
  type IssuedCertificate,
  type IssueOptions,
  issueCertificate,
  loadCa,
} from './authority.js';
export type { CertificateUsage, DistinguishedName } from './certificate.js';
export {
  ADMIN_GROUP,
  type AgentServingCertificateOptions,
  type ApiServerCertificateOptions,
  type ClientCertificateOptions,
  DEFAULT_API_SERVER_NAMES,
  ETCD_CLIENT_NAME,
  ETCD_PEER_NAME,
  type EtcdMemberCertificateOptions,
  issueAdminCertificate,
  issueAgentServingCertificate,
  issueApiServerCertificate,
  issueClientCertificate,
  issueEtcdClientCertificate,
  issueEtcdMemberCertificate,
  issueNodeCertificate,
  type LeafOptions,
  NODES_GROUP,
  nodeUserName,
} from './cluster-certs.js';
export {
  API_SERVER_CLIENT_USER,
  type ClusterPki,
  type ClusterPkiOptions,
  type LeafReuseOptions,
  loadOrCreateAgentServingCertificate,
  loadOrCreateClusterPki,
  loadOrCreateEtcdClientCertificate,
  loadOrCreateNodeCertificate,
  loadOrIssue,
} from './cluster-pki.js';
export {
  defaultKubeconfigPath,
  type KubeconfigOptions,
  mergeKubeconfig,
  mergeKubeconfigFile,
  renderKubeconfig,
} from './kubeconfig.js';
export {
  addToKubeconfig,
  type KubeconfigAddResult,
  type KubeconfigLocation,
  type KubeconfigRemoveResult,
  type KubeconfigWriteOptions,
  kubeconfigDefaultFile,
  kubeconfigPrecedence,
  removeFromKubeconfig,
} from './kubeconfig-files.js';
export { DEFAULT_LOCK_TIMEOUT_MS, EXIT_KUBECONFIG, withKubeconfigLock } from './kubeconfig-lock.js';
export { fromPem, generateKeyPair, privateKeyToPem, toPem, writeKeyFile } from './pem.js';
export { generateServiceAccountKeyPem } from './service-account-key.js';
