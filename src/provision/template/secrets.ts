import type { ClusterSpec } from '../../config/types.js';
import { IDS } from './names.js';
import { type SecretScope, secretsKeyAlias, secretsPath } from './storage-names.js';
import { type CfnResource, getAtt, ref } from './types.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JS ones.
const ACCOUNT = '${AWS::AccountId}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JS ones.
const PARTITION = '${AWS::Partition}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JS ones.
const REGION = '${AWS::Region}';

/** Days between `delete` and the key's destruction (the shortest AWS allows). */
export const KEY_PENDING_WINDOW_DAYS = 7;

/**
 * `arn:...:parameter/tugboat/<cluster>/<scope>` and `.../<scope>/*` (the first for
 * GetParametersByPath on the scope itself), as `Fn::Sub` values.
 */
export function parameterArns(spec: ClusterSpec, scope: SecretScope): { 'Fn::Sub': string }[] {
  const path = `${secretsPath(spec.name).slice(1)}${scope}`;
  const base = `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter/${path}`;
  return [{ 'Fn::Sub': base }, { 'Fn::Sub': `${base}/*` }];
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JS ones.
const MASTER_ARN = '${MasterRoleArn}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JS ones.
const WORKER_ARN = '${WorkerRoleArn}';

/** Parameter ARN patterns for the key's encryption-context condition (SSM passes `PARAMETER_ARN`). */
const contextArns = (spec: ClusterSpec, scopes: readonly SecretScope[]) =>
  scopes.map((scope) => parameterArns(spec, scope)[1]!['Fn::Sub']);

/** A key-policy statement letting `role` use the key through SSM, for parameters under `scopes`. */
function roleUse(
  spec: ClusterSpec,
  sid: string,
  role: string,
  actions: readonly string[],
  scopes: readonly SecretScope[],
) {
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: { AWS: role },
    Action: actions,
    Resource: '*',
    Condition: {
      StringEquals: { 'kms:ViaService': `ssm.${REGION}.amazonaws.com` },
      StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': contextArns(spec, scopes) },
    },
  };
}

/**
 * The key policy as one `Fn::Sub` string (role ARNs substituted in): CloudFormation takes JSON
 * text for a `Json` property, and moto 5.2.1 only evaluates a key policy given as text (an object
 * policy makes its DescribeKey fail with a 500).
 */
function keyPolicy(spec: ClusterSpec) {
  const statements = [
    {
      Sid: 'AccountAdministersTheKey',
      Effect: 'Allow',
      Principal: { AWS: `arn:${PARTITION}:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
    roleUse(
      spec,
      'MasterReadsAndWritesItsSecrets',
      MASTER_ARN,
      ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
      ['master', 'worker', 'shared'],
    ),
    roleUse(
      spec,
      'MasterCreatesTheAdminCredential',
      MASTER_ARN,
      ['kms:Encrypt', 'kms:GenerateDataKey'],
      ['admin'],
    ),
    roleUse(spec, 'WorkersReadTheirSecrets', WORKER_ARN, ['kms:Decrypt'], ['worker']),
  ];
  return {
    'Fn::Sub': [
      JSON.stringify({ Version: '2012-10-17', Statement: statements }),
      { MasterRoleArn: getAtt(IDS.masterRole, 'Arn'), WorkerRoleArn: getAtt(IDS.workerRole, 'Arn') },
    ],
  };
}

/**
 * The cluster's KMS key and its alias `alias/tugboat-<cluster>`. The key policy gives the account
 * (its administrators, through IAM) full control, and each instance role only what SSM needs for
 * the parameters that role may use: the master encrypts and decrypts under `master/`, `worker/`,
 * `shared/` and encrypts (creates) under `admin/`; workers only decrypt under `worker/`. Deleting
 * the stack schedules the key's deletion after {@link KEY_PENDING_WINDOW_DAYS} days.
 *
 * The key carries no `Tags` in the template: moto 5.2.1's CloudFormation stores KMS tags under
 * `TagKey`/`TagValue` and fails the whole stack on the CloudFormation `Key`/`Value` form. `create`
 * tags the key through the KMS API instead, and `delete` also finds it by its alias.
 */
export function buildSecretsKey(spec: ClusterSpec): Record<string, CfnResource> {
  return {
    [IDS.secretsKey]: {
      Type: 'AWS::KMS::Key',
      Properties: {
        Description: `tugboat ${spec.name}: cluster secrets in SSM Parameter Store`,
        EnableKeyRotation: true,
        PendingWindowInDays: KEY_PENDING_WINDOW_DAYS,
        KeyPolicy: keyPolicy(spec),
      },
    },
    [IDS.secretsKeyAlias]: {
      Type: 'AWS::KMS::Alias',
      Properties: { AliasName: secretsKeyAlias(spec.name), TargetKeyId: ref(IDS.secretsKey) },
    },
  };
}
