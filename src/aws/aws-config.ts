import { join } from 'node:path';
import { loadSharedConfigFiles } from '@smithy/core/config';
import { UsageError } from '../errors.js';

/** The AWS services tugboat calls, keyed as in their `AWS_ENDPOINT_URL_<ID>` variables. */
export const AWS_SERVICES = {
  cloudFormation: 'CLOUDFORMATION',
  ec2: 'EC2',
  autoScaling: 'AUTO_SCALING',
  route53: 'ROUTE_53',
  s3: 'S3',
  sts: 'STS',
  ssm: 'SSM',
  kms: 'KMS',
} as const;

/** One of the services in {@link AWS_SERVICES}. */
export type AwsService = keyof typeof AWS_SERVICES;

/** How the SDK retries: its modes, as `AWS_RETRY_MODE` and `retry_mode` name them. */
export type RetryMode = 'standard' | 'adaptive' | 'legacy';

/** Settings resolved from flags, the environment and the shared config files, AWS CLI order. */
export interface ResolvedAwsConfig {
  readonly region: string;
  /** The profile named by `--profile` or `AWS_PROFILE`, if any (else the SDK's default chain). */
  readonly profile?: string;
  /** A custom endpoint per service (LocalStack, moto, VPC endpoints); absent means AWS's own. */
  readonly endpoints: Readonly<Partial<Record<AwsService, string>>>;
  readonly maxAttempts: number;
  readonly retryMode: RetryMode;
}

/** Inputs of {@link resolveAwsConfig}. Flags win over the spec, which wins over the environment. */
export interface ResolveAwsConfigOptions {
  /** Region (from `--region` or the cluster spec). @default AWS_REGION, AWS_DEFAULT_REGION, the profile's */
  readonly region?: string;
  /** One endpoint for every service (`--endpoint-url`). @default per service, see {@link resolveAwsConfig} */
  readonly endpointUrl?: string;
  /** Shared-config profile. @default AWS_PROFILE */
  readonly profile?: string;
  /** Environment to read. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * tugboat's attempts per AWS call when neither `AWS_MAX_ATTEMPTS` nor `max_attempts` says: more
 * than the SDK's 3 because a create or delete makes hundreds of calls and one throttle must not
 * end it.
 */
export const DEFAULT_MAX_ATTEMPTS = 5;

const RETRY_MODES: readonly RetryMode[] = ['standard', 'adaptive', 'legacy'];

/**
 * Resolves region, endpoints and retry settings the way the AWS CLI and SDK do, reading the shared
 * config files with the SDK's own loader (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, else
 * `~/.aws/config` and `~/.aws/credentials`):
 * - region: option, `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile's `region`;
 * - endpoint of each service: option, `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the
 *   profile's `services` section, then the profile's `endpoint_url` — all but the option ignored
 *   when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` / `ignore_configured_endpoint_urls` is true;
 * - retries: `AWS_MAX_ATTEMPTS` / `max_attempts` (else {@link DEFAULT_MAX_ATTEMPTS}) and
 *   `AWS_RETRY_MODE` / `retry_mode` (else `standard`).
 */
export async function resolveAwsConfig(options: ResolveAwsConfigOptions = {}): Promise<ResolvedAwsConfig> {
  const env = options.env ?? process.env;
  const profileName = options.profile || env.AWS_PROFILE || undefined;
  // Paths from `env` rather than the SDK's reading of process.env, so a caller's own environment
  // (tests, embedding programs) is the one that counts; ignoreCache because the files may change.
  const home = env.HOME || env.USERPROFILE;
  const files = await loadSharedConfigFiles({
    ignoreCache: true,
    ...(env.AWS_CONFIG_FILE || home
      ? { configFilepath: env.AWS_CONFIG_FILE || join(home as string, '.aws', 'config') }
      : {}),
    ...(env.AWS_SHARED_CREDENTIALS_FILE || home
      ? { filepath: env.AWS_SHARED_CREDENTIALS_FILE || join(home as string, '.aws', 'credentials') }
      : {}),
  });
  const name = profileName ?? 'default';
  const profile: Record<string, string | undefined> = {
    ...files.credentialsFile[name],
    ...files.configFile[name],
  };
  if (profileName && !files.configFile[name] && !files.credentialsFile[name]) {
    throw new UsageError(
      `aws profile "${profileName}" is not in the shared config or credentials file: add it (aws configure --profile ${profileName}) or pick another with --profile / AWS_PROFILE`,
    );
  }
  const region = options.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || profile.region;
  if (!region) {
    throw new UsageError(
      `no AWS region: pass --region, set region in the cluster spec, set AWS_REGION, or set region in the "${name}" profile of ~/.aws/config`,
    );
  }
  const servicesSection = profile.services ? (files.configFile[`services.${profile.services}`] ?? {}) : {};
  const ignoreConfigured = isTrue(
    env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? profile.ignore_configured_endpoint_urls,
  );
  const endpoints: Partial<Record<AwsService, string>> = {};
  for (const [service, id] of Object.entries(AWS_SERVICES) as [AwsService, string][]) {
    const url =
      options.endpointUrl ||
      (ignoreConfigured
        ? undefined
        : env[`AWS_ENDPOINT_URL_${id}`] ||
          env.AWS_ENDPOINT_URL ||
          servicesSection[`${id.toLowerCase()}.endpoint_url`] ||
          profile.endpoint_url);
    if (url) endpoints[service] = checkedEndpoint(url);
  }
  return {
    region,
    ...(profileName ? { profile: profileName } : {}),
    endpoints,
    maxAttempts: maxAttempts(env.AWS_MAX_ATTEMPTS ?? profile.max_attempts),
    retryMode: retryMode(env.AWS_RETRY_MODE ?? profile.retry_mode),
  };
}

function isTrue(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}

function checkedEndpoint(url: string): string {
  if (!/^https?:\/\/[^\s]+$/.test(url)) {
    throw new UsageError(`endpoint url "${url}" is not an http(s) url: use e.g. http://localhost:4566`);
  }
  return url;
}

function maxAttempts(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_MAX_ATTEMPTS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new UsageError(
      `max attempts "${value}" (AWS_MAX_ATTEMPTS or max_attempts) is not a whole number from 1 to 100: fix or unset it`,
    );
  }
  return n;
}

function retryMode(value: string | undefined): RetryMode {
  if (value === undefined || value === '') return 'standard';
  if (!RETRY_MODES.includes(value as RetryMode)) {
    throw new UsageError(
      `retry mode "${value}" (AWS_RETRY_MODE or retry_mode) is not one of ${RETRY_MODES.join(', ')}: fix or unset it`,
    );
  }
  return value as RetryMode;
}
