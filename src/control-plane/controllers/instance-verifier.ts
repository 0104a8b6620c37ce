/**
 * Whether a node identity belongs to a machine of this cluster: what the CSR approver asks before
 * it grants a node certificate on its own, and what the cloud node-lifecycle controller asks
 * before it removes a Node. The EC2 implementation lives in src/aws/instance-verifier.ts.
 */
export interface InstanceVerifier {
  /**
   * Is there a running instance of this cluster that is this node (EC2: node name = instance id),
   * with all of `addresses` among its private/public IPs when given?
   */
  isRunningNode(nodeName: string, addresses?: readonly string[]): Promise<boolean>;
  /**
   * Does the instance behind a Node still exist? `gone` (terminated, or not there at all) lets
   * the node-lifecycle controller delete the Node; `unknown` (no provider id, lookup failed)
   * keeps it.
   */
  instanceState(node: {
    readonly name: string;
    readonly providerID?: string;
  }): Promise<'exists' | 'gone' | 'unknown'>;
}

/**
 * For inventory and local clusters: no cloud to ask, so nothing is approved automatically (an
 * admin approves with `kubectl certificate approve`) and no Node is removed for a missing instance.
 */
export const manualApproval: InstanceVerifier = {
  isRunningNode: async () => false,
  instanceState: async () => 'unknown',
};
