import {
  DeleteParametersCommand,
  GetParameterCommand,
  type ParameterTier,
  PutParameterCommand,
  paginateDescribeParameters,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { awsCall, isAwsError } from './errors.js';
import { collectPages } from './pages.js';
import { type Tags, tagsToList } from './types.js';

/** A parameter as listed (never its value). */
export interface SsmParameterInfo {
  readonly name: string;
  readonly type: string;
  /** The KMS key of a SecureString (id, ARN or alias, as SSM reports it). */
  readonly keyId?: string;
  readonly tier?: string;
}

/** Options of {@link SsmApi.createSecureString}. */
export interface CreateSecureStringOptions {
  /** The KMS key to encrypt under (id, ARN or alias). */
  readonly keyId: string;
  readonly tags: Tags;
  /** `Advanced` for values above 4 KB (up to 8 KB). @default Standard */
  readonly tier?: 'Standard' | 'Advanced';
  readonly description?: string;
}

/** The SSM Parameter Store calls tugboat makes (cluster secrets as SecureStrings). */
export interface SsmApi {
  /**
   * Creates a SecureString, never overwriting: `created` when this call made it, `exists` when
   * a parameter of that name was already there (someone else created it first).
   */
  createSecureString(
    name: string,
    value: string,
    options: CreateSecureStringOptions,
  ): Promise<'created' | 'exists'>;
  /** The decrypted value, or undefined when there is no such parameter. */
  getSecureString(name: string): Promise<string | undefined>;
  /**
   * Writes a plain (not secret) String parameter, replacing its value when it exists: created
   * with `tags`, overwritten without them (SSM refuses tags together with Overwrite).
   */
  putString(name: string, value: string, tags: Tags): Promise<void>;
  /** Every parameter under `path` (recursive), without values. */
  listParameters(path: string): Promise<SsmParameterInfo[]>;
  /** Deletes parameters (missing ones are fine); returns the names SSM reported as missing. */
  deleteParameters(names: readonly string[]): Promise<string[]>;
}

/** DeleteParameters takes at most ten names per call. */
const DELETE_BATCH = 10;

/** The SSM API over the SDK client. Values never appear in errors or events. */
export function sdkSsm(client: SSMClient, endpoint?: string): SsmApi {
  const call = <T>(action: string, fn: () => Promise<T>) => awsCall(`ssm:${action}`, fn, endpoint);
  return {
    async createSecureString(name, value, options) {
      try {
        await call('PutParameter', () =>
          client.send(
            new PutParameterCommand({
              Name: name,
              Value: value,
              Type: 'SecureString',
              KeyId: options.keyId,
              Overwrite: false,
              Tier: (options.tier ?? 'Standard') as ParameterTier,
              Tags: tagsToList(options.tags),
              ...(options.description ? { Description: options.description } : {}),
            }),
          ),
        );
        return 'created';
      } catch (err) {
        if (isAwsError(err, 'ParameterAlreadyExists')) return 'exists';
        throw err;
      }
    },
    async putString(name, value, tags) {
      const put = (overwrite: boolean) =>
        call('PutParameter', () =>
          client.send(
            new PutParameterCommand({
              Name: name,
              Value: value,
              Type: 'String',
              Overwrite: overwrite,
              ...(overwrite ? {} : { Tags: tagsToList(tags) }),
            }),
          ),
        );
      try {
        await put(false);
      } catch (err) {
        if (!isAwsError(err, 'ParameterAlreadyExists')) throw err;
        await put(true);
      }
    },
    async getSecureString(name) {
      try {
        const out = await call('GetParameter', () =>
          client.send(new GetParameterCommand({ Name: name, WithDecryption: true })),
        );
        return out.Parameter?.Value;
      } catch (err) {
        if (isAwsError(err, 'ParameterNotFound')) return undefined;
        throw err;
      }
    },
    async listParameters(path) {
      const items = await call('DescribeParameters', () =>
        collectPages(
          paginateDescribeParameters(
            { client },
            { ParameterFilters: [{ Key: 'Path', Option: 'Recursive', Values: [path.replace(/\/$/, '')] }] },
          ),
          (out) => out.Parameters ?? [],
        ),
      );
      return items.flatMap((p) =>
        p.Name
          ? [
              {
                name: p.Name,
                type: p.Type ?? '',
                ...(p.KeyId ? { keyId: p.KeyId } : {}),
                ...(p.Tier ? { tier: p.Tier } : {}),
              },
            ]
          : [],
      );
    },
    async deleteParameters(names) {
      const missing: string[] = [];
      for (let i = 0; i < names.length; i += DELETE_BATCH) {
        const batch = names.slice(i, i + DELETE_BATCH);
        const out = await call('DeleteParameters', () =>
          client.send(new DeleteParametersCommand({ Names: batch })),
        );
        missing.push(...(out.InvalidParameters ?? []));
      }
      return missing;
    },
  };
}
