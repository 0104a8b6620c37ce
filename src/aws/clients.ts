import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { UsageError } from '../errors.js';
import { AbortFanout } from './abort-fanout.js';
import { type AutoScalingApi, sdkAutoScaling } from './autoscaling.js';
import { type CloudFormationApi, sdkCloudFormation } from './cloudformation.js';
import type { Ec2Api } from './ec2.js';
import { sdkEc2 } from './ec2-sdk.js';
import type { Ec2SweepApi } from './ec2-sweep.js';
import { type Route53Api, sdkRoute53 } from './route53.js';
import { type S3Api, sdkS3 } from './s3.js';
import { type StsApi, sdkSts } from './sts.js';

/** Every AWS API tugboat uses, for one region. Library functions take this as an argument. */
export interface AwsClients {
  readonly region: string;
  /** The custom endpoint in use (LocalStack, moto), if any. */
  readonly endpointUrl?: string;
  readonly cloudFormation: CloudFormationApi;
  readonly ec2: Ec2Api;
  /** The EC2 calls of the sweep (find and delete a cluster's leftovers); same client as `ec2`. */
  readonly ec2Sweep: Ec2SweepApi;
  readonly autoScaling: AutoScalingApi;
  readonly route53: Route53Api;
  /** Only for templates too large to pass inline (staged in a private bucket). */
  readonly s3: S3Api;
  readonly sts: StsApi;
}

/** How to reach AWS. Flags win over the spec, which wins over the environment. */
export interface AwsClientsOptions {
  /** Region (from `--region` or the cluster spec). @default AWS_REGION, then AWS_DEFAULT_REGION */
  readonly region?: string;
  /** Custom endpoint (LocalStack, moto). @default AWS_ENDPOINT_URL, else the real AWS endpoints */
  readonly endpointUrl?: string;
  /** Shared-config profile. @default AWS_PROFILE, else the default credential chain */
  readonly profile?: string;
  /** Environment to read defaults from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Cancels in-flight requests when it fires (Ctrl-C). @default none */
  readonly signal?: AbortSignal;
}

/**
 * Makes every `send` of an SDK client carry an abort signal from `fanout`, so Ctrl-C cancels a
 * slow request without piling listeners onto the command's one signal.
 */
function withSignal<C extends object>(client: C, fanout: AbortFanout | undefined): C {
  if (!fanout) return client;
  const target = client as unknown as { send: (command: unknown, options?: object) => Promise<unknown> };
  const send = target.send.bind(client);
  target.send = (command, options) => fanout.run((abortSignal) => send(command, { ...options, abortSignal }));
  return client;
}

/**
 * Makes the AWS clients. Credentials come from the SDK's default provider chain (environment,
 * shared config and SSO profiles, web identity, container and instance roles); keys present in
 * `env` are used directly so in-process callers with their own environment get what they expect.
 */
export function createAwsClients(options: AwsClientsOptions = {}): AwsClients {
  const env = options.env ?? process.env;
  // The SDK warns on every run that its releases after January 2027 need Node 22. tugboat supports
  // Node >= 20 with the SDK version it locks, so the warning is noise for its users; setting the
  // variable yourself (to anything but "true") brings it back.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const region = options.region || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new UsageError('no AWS region: pass --region, set region in the cluster spec, or set AWS_REGION');
  }
  const endpointUrl = options.endpointUrl || env.AWS_ENDPOINT_URL || undefined;
  if (endpointUrl && !/^https?:\/\/[^\s]+$/.test(endpointUrl)) {
    throw new UsageError(
      `endpoint url "${endpointUrl}" is not an http(s) url: use e.g. http://localhost:4566`,
    );
  }
  const profile = options.profile || env.AWS_PROFILE || undefined;
  const credentials =
    !profile && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  const config = {
    region,
    ...(endpointUrl ? { endpoint: endpointUrl } : {}),
    ...(profile ? { profile } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: 5,
  };
  const fanout = options.signal ? new AbortFanout(options.signal) : undefined;
  return {
    region,
    ...(endpointUrl ? { endpointUrl } : {}),
    cloudFormation: sdkCloudFormation(withSignal(new CloudFormationClient(config), fanout), endpointUrl),
    ...ec2Clients(sdkEc2(withSignal(new EC2Client(config), fanout), endpointUrl)),
    autoScaling: sdkAutoScaling(withSignal(new AutoScalingClient(config), fanout), endpointUrl),
    route53: sdkRoute53(withSignal(new Route53Client(config), fanout), endpointUrl),
    // Path-style addressing against a custom endpoint: `<bucket>.127.0.0.1` is no host name.
    s3: sdkS3(
      withSignal(new S3Client({ ...config, ...(endpointUrl ? { forcePathStyle: true } : {}) }), fanout),
      region,
      endpointUrl,
    ),
    sts: sdkSts(withSignal(new STSClient(config), fanout), endpointUrl),
  };
}

/** One SDK adapter, seen through the two narrow interfaces. */
function ec2Clients(ec2: Ec2Api & Ec2SweepApi): Pick<AwsClients, 'ec2' | 'ec2Sweep'> {
  return { ec2, ec2Sweep: ec2 };
}
