export type { AutoScalingApi, AutoScalingGroup, GroupInstance } from './autoscaling.js';
export { type AwsClients, type AwsClientsOptions, createAwsClients } from './clients.js';
export type {
  ChangeSetInfo,
  CloudFormationApi,
  ResourceChange,
  StackEvent,
  StackInfo,
  StackResource,
} from './cloudformation.js';
export type { Ec2Address, Ec2Api, Ec2Instance, Ec2KeyPair, Ec2Resource } from './ec2.js';
export type { Ec2SweepApi } from './ec2-sweep.js';
export { AwsCallError, awsErrorCode, isAwsError } from './errors.js';
export type { KmsApi, KmsKeyInfo } from './kms.js';
export type { HostedZone, RecordSet, Route53Api } from './route53.js';
export type { BucketRef, S3Api } from './s3.js';
export type { CreateSecureStringOptions, SsmApi, SsmParameterInfo } from './ssm.js';
export type { StsApi } from './sts.js';
export * from './types.js';
