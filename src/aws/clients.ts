import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { AbortFanout } from './abort-fanout.js';
import { type AutoScalingApi, sdkAutoScaling } from './autoscaling.js';
import { type AwsService, type ResolveAwsConfigOptions, resolveAwsConfig } from './aws-config.js';
import { type CloudFormationApi, sdkCloudFormation } from './cloudformation.js';
import type { Ec2Api } from './ec2.js';
import { sdkEc2 } from './ec2-sdk.js';
import type { Ec2SweepApi } from './ec2-sweep.js';
import { type KmsApi, sdkKms } from './kms.js';
import { proxyAgentsFromEnv } from './proxy.js';
import { type Route53Api, sdkRoute53 } from './route53.js';
import { type S3Api, sdkS3 } from './s3.js';
import { type S3BundleApi, sdkS3Bundle } from './s3-bundle.js';
import { type SsmApi, sdkSsm } from './ssm.js';
import { type StsApi, sdkSts } from './sts.js';

/** Every AWS API tugboat uses, for one region. Library functions take this as an argument. */
export interface AwsClients {
  readonly region: string;
  /** The custom EC2 endpoint in use (LocalStack, moto), if any; other services may have their own. */
  readonly endpointUrl?: string;
  readonly cloudFormation: CloudFormationApi;
  readonly ec2: Ec2Api;
  /** The EC2 calls of the sweep (find and delete a cluster's leftovers); same client as `ec2`. */
  readonly ec2Sweep: Ec2SweepApi;
  readonly autoScaling: AutoScalingApi;
  readonly route53: Route53Api;
  /** Only for templates too large to pass inline (staged in a private bucket). */
  readonly s3: S3Api;
  /** Host bundles under the cluster's prefix (content-addressed, uploaded by create and update). */
  readonly s3Bundles: S3BundleApi;
  readonly sts: StsApi;
  /** The cluster's secrets (SecureStrings under `/tugboat/<cluster>/`). */
  readonly ssm: SsmApi;
  /** The cluster's secrets key (find, tag, schedule deletion). */
  readonly kms: KmsApi;
}

/** How to reach AWS. Flags win over the spec, which wins over the environment and config files. */
export interface AwsClientsOptions extends ResolveAwsConfigOptions {
  /** Cancels in-flight requests when it fires (Ctrl-C). @default none */
  readonly signal?: AbortSignal;
  /**
   * Give up connecting to an endpoint after this long (then the SDK retries).
   * @default {@link AWS_CONNECT_TIMEOUT_MS}
   */
  readonly connectTimeoutMs?: number;
  /**
   * Fail a request whose socket stays silent this long, sending or waiting for the answer (then
   * the SDK retries), so a stuck endpoint or emulator gives an error naming the call instead of
   * a hang. A slow upload that keeps moving never trips it. @default {@link AWS_IDLE_TIMEOUT_MS}
   */
  readonly idleTimeoutMs?: number;
  /**
   * Also fail a request whose answer has not begun this long after it started, however busy
   * the socket (for callers with their own deadline). @default none
   */
  readonly requestTimeoutMs?: number;
}

/** How long an AWS request may take to connect before it fails (and is retried). */
export const AWS_CONNECT_TIMEOUT_MS = 10_000;
/** How long an AWS request's socket may stay silent before it fails (and is retried). */
export const AWS_IDLE_TIMEOUT_MS = 60_000;

/**
 * The HTTP handler of every client: proxies from the environment, a connect timeout and an
 * idle timeout always, a total timeout when asked. Retries stay bounded by `maxAttempts`.
 */
function requestHandler(env: NodeJS.ProcessEnv, options: AwsClientsOptions): NodeHttpHandler {
  return new NodeHttpHandler({
    ...proxyAgentsFromEnv(env),
    connectionTimeout: options.connectTimeoutMs ?? AWS_CONNECT_TIMEOUT_MS,
    socketTimeout: options.idleTimeoutMs ?? AWS_IDLE_TIMEOUT_MS,
    ...(options.requestTimeoutMs
      ? {
          requestTimeout: options.requestTimeoutMs,
          // Without it smithy only logs a warning and keeps waiting.
          throwOnRequestTimeout: true,
        }
      : {}),
  });
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
 * Makes the AWS clients from settings resolved as the AWS CLI does ({@link resolveAwsConfig}:
 * profile region, per-service endpoints, retry settings). Credentials come from the SDK's default
 * provider chain (environment, shared config and SSO profiles, web identity, container and
 * instance roles); keys present in `env` are used directly so in-process callers with their own
 * environment get what they expect. `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` are honoured.
 */
export async function createAwsClients(options: AwsClientsOptions = {}): Promise<AwsClients> {
  const env = options.env ?? process.env;
  const resolved = await resolveAwsConfig(options);
  const { region, profile, endpoints } = resolved;
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
    ...(profile ? { profile } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: resolved.maxAttempts,
    retryMode: resolved.retryMode,
    requestHandler: requestHandler(env, options),
  };
  const forService = (service: AwsService) => {
    const endpoint = endpoints[service];
    return endpoint ? { ...config, endpoint } : config;
  };
  const fanout = options.signal ? new AbortFanout(options.signal) : undefined;
  const endpointUrl = endpoints.ec2;
  return {
    region,
    ...(endpointUrl ? { endpointUrl } : {}),
    cloudFormation: sdkCloudFormation(
      withSignal(new CloudFormationClient(forService('cloudFormation')), fanout),
      endpoints.cloudFormation,
    ),
    ...ec2Clients(sdkEc2(withSignal(new EC2Client(forService('ec2')), fanout), endpoints.ec2)),
    autoScaling: sdkAutoScaling(
      withSignal(new AutoScalingClient(forService('autoScaling')), fanout),
      endpoints.autoScaling,
    ),
    route53: sdkRoute53(withSignal(new Route53Client(forService('route53')), fanout), endpoints.route53),
    ...s3Clients(
      // Path-style addressing against a custom endpoint: `<bucket>.127.0.0.1` is no host name.
      withSignal(
        new S3Client({ ...forService('s3'), ...(endpoints.s3 ? { forcePathStyle: true } : {}) }),
        fanout,
      ),
      region,
      endpoints.s3,
    ),
    sts: sdkSts(withSignal(new STSClient(forService('sts')), fanout), endpoints.sts),
    ssm: sdkSsm(withSignal(new SSMClient(forService('ssm')), fanout), endpoints.ssm),
    kms: sdkKms(withSignal(new KMSClient(forService('kms')), fanout), endpoints.kms),
  };
}

/** One SDK adapter, seen through the two narrow interfaces. */
function ec2Clients(ec2: Ec2Api & Ec2SweepApi): Pick<AwsClients, 'ec2' | 'ec2Sweep'> {
  return { ec2, ec2Sweep: ec2 };
}

/** One S3 client, seen through the template-staging and the bundle interfaces. */
function s3Clients(
  client: S3Client,
  region: string,
  endpoint?: string,
): Pick<AwsClients, 's3' | 's3Bundles'> {
  return { s3: sdkS3(client, region, endpoint), s3Bundles: sdkS3Bundle(client, endpoint) };
}
