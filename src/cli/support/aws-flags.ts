import type { Command } from 'commander';

/** Flags every AWS command takes. */
export interface AwsFlags {
  readonly region?: string;
  readonly profile?: string;
  readonly endpointUrl?: string;
  /** `--timeout DURATION`, on the commands that wait (see addTimeoutFlag). */
  readonly timeout?: string;
}

/** Adds --region, --profile and --endpoint-url to a command (no heavy imports here). */
export function addAwsFlags(cmd: Command): Command {
  return cmd
    .option('--region <region>', 'AWS region (default: the spec, then AWS_REGION / AWS_DEFAULT_REGION)')
    .option('--profile <name>', 'AWS shared-config profile (default: AWS_PROFILE, then the default chain)')
    .option('--endpoint-url <url>', 'custom AWS endpoint, e.g. LocalStack (default: AWS_ENDPOINT_URL)');
}
