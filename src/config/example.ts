import { KNOWN_REGIONS } from './regions.js';
import { API_VERSION, KIND } from './schema.js';

/** Comments in the example start at this column, whatever the name and region. */
const COMMENT_COLUMN = 36;

/** Options for {@link renderExampleSpec}. */
export interface ExampleSpecOptions {
  /** Cluster name. @default 'my-cluster' */
  readonly name?: string;
  /** AWS region; the example uses its zones a and b. @default 'us-east-1' */
  readonly region?: string;
}

/** The JSON Schema file the example's `yaml-language-server` line names, next to the spec. */
export const SCHEMA_FILE_NAME = 'tugboat.schema.json';

/**
 * A commented example cluster spec (what `tugboat init` prints). It is valid as written except
 * for the documentation-only CIDR 203.0.113.10/32, which users replace with their own address.
 */
export function renderExampleSpec(options: ExampleSpecOptions = {}): string {
  const name = options.name ?? 'my-cluster';
  const region = options.region ?? 'us-east-1';
  const c = (code: string, comment: string) => `${`${code} `.padEnd(COMMENT_COLUMN)}# ${comment}`;
  return [
    // Editors with the YAML language server (VS Code's YAML extension, Neovim, JetBrains) read
    // this line and complete and check every field from the schema `tugboat init --file` writes.
    `# yaml-language-server: $schema=./${SCHEMA_FILE_NAME}`,
    `# tugboat cluster spec. Reference: docs/config.md; JSON Schema: \`tugboat schema\`.`,
    `# Check it with \`tugboat validate -f FILE\`, see the CloudFormation with \`tugboat template -f FILE\`.`,
    `apiVersion: ${API_VERSION}`,
    `kind: ${KIND}`,
    c(`name: ${name}`, `DNS-safe, at most 32 characters; the stack is tugboat-${name}`),
    c(`region: ${region}`, `one of: ${KNOWN_REGIONS.slice(0, 4).join(', ')}, ...`),
    c(`availabilityZones: [${region}a, ${region}b]`, `one public subnet each; 1 to 6 zones`),
    ``,
    `network:`,
    c(`  vpcCidr: 10.0.0.0/16`, `a new VPC; subnets are derived (/20 each). Or use an existing one:`),
    `  # vpcId: vpc-0123456789abcdef0`,
    `  # subnets:`,
    `  #   - { zone: ${region}a, id: subnet-0123456789abcdef0 }`,
    `  #   - { zone: ${region}b, id: subnet-0fedcba9876543210 }`,
    ``,
    `ssh:`,
    c(`  user: ec2-user`, `Amazon Linux 2023`),
    c(
      `  allowedCidrs: [203.0.113.10/32]`,
      `replace with your address (curl -s https://checkip.amazonaws.com)/32`,
    ),
    c(`  address: public`, `or private, when tugboat runs inside the VPC or over a VPN`),
    c(`  # publicKeyFile: ~/.ssh/id_ed25519.pub`, `default: tugboat generates a key in ~/.tugboat/${name}/`),
    ``,
    `api:`,
    c(`  # allowedCidrs: [203.0.113.10/32]`, `who may reach port 6443; default: ssh.allowedCidrs`),
    c(`  # dns:`, `optional Route 53 record pointing at the master Elastic IP`),
    `  #   hostedZoneId: Z0123456789ABCDEFGHIJ`,
    `  #   recordName: api.${name}.example.com`,
    ``,
    `master:`,
    `  instanceType: t3.medium`,
    c(`  volumeSize: 20`, `GiB, encrypted gp3`),
    c(`  eip: true`, `a stable API address that survives master replacement`),
    c(`  # ami: ami-0123456789abcdef0`, `default: latest Amazon Linux 2023 (public SSM parameter)`),
    ``,
    `workerGroups:`,
    `  - name: workers`,
    `    instanceType: t3.medium`,
    `    min: 1`,
    `    max: 3`,
    `    desired: 2`,
    c(`    # zones: [${region}a]`, `default: all availabilityZones`),
    `    # labels: { tier: general }`,
    `    # taints: [{ key: dedicated, value: batch, effect: NoSchedule }]`,
    c(`    # eip: true`, `take an Elastic IP from eipPool for each instance`),
    ``,
    `eipPool:`,
    c(`  size: 0`, `Elastic IPs for worker groups with eip: true`),
    ``,
    c(`store: embedded`, `or etcd`),
    c(`tags:`, `added to every resource tugboat creates`),
    `  owner: ${name}-admins`,
    ``,
  ].join('\n');
}
