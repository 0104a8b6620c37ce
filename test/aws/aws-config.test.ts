import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_ATTEMPTS, resolveAwsConfig } from '../../src/aws/aws-config.js';
import { createAwsClients } from '../../src/aws/clients.js';
import { bypassesProxy } from '../../src/aws/proxy.js';
import { UsageError } from '../../src/errors.js';
import {
  type ConnectProxy,
  type FakeAwsEndpoint,
  startConnectProxy,
  startFakeAwsEndpoint,
} from '../support/fake-aws-endpoint.js';

let home: string;
let endpoint: FakeAwsEndpoint;
let proxy: ConnectProxy;

/** A temp HOME with ~/.aws/config holding `config`. */
function homeWith(config: string): NodeJS.ProcessEnv {
  rmSync(join(home, '.aws'), { recursive: true, force: true });
  mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true });
  writeFileSync(join(home, '.aws', 'config'), config);
  return { HOME: home };
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'tugboat-aws-home-'));
  endpoint = await startFakeAwsEndpoint();
  proxy = await startConnectProxy();
});

afterAll(async () => {
  await endpoint.close();
  await proxy.close();
  rmSync(home, { recursive: true, force: true });
});

afterEach(() => {
  endpoint.seen.length = 0;
  proxy.targets.length = 0;
  endpoint.failFirst = 0;
  vi.unstubAllEnvs();
});

describe('resolveAwsConfig', () => {
  it('takes the region of the profile that AWS_PROFILE names when nothing else sets one', async () => {
    const env = homeWith('[default]\nregion = us-east-2\n\n[profile p]\nregion = eu-west-1\n');
    expect((await resolveAwsConfig({ env: { ...env, AWS_PROFILE: 'p' } })).region).toBe('eu-west-1');
    expect((await resolveAwsConfig({ env, profile: 'p' })).region).toBe('eu-west-1');
    expect((await resolveAwsConfig({ env })).region).toBe('us-east-2');
    // The environment and flags still win over the file, as in the AWS CLI.
    expect(
      (await resolveAwsConfig({ env: { ...env, AWS_PROFILE: 'p', AWS_REGION: 'ap-south-1' } })).region,
    ).toBe('ap-south-1');
    expect((await resolveAwsConfig({ env: { ...env, AWS_PROFILE: 'p' }, region: 'sa-east-1' })).region).toBe(
      'sa-east-1',
    );
  });

  it('reads AWS_CONFIG_FILE instead of ~/.aws/config when set', async () => {
    const file = join(home, 'elsewhere.ini');
    writeFileSync(file, '[profile q]\nregion = ca-central-1\n');
    const env = { ...homeWith(''), AWS_CONFIG_FILE: file, AWS_PROFILE: 'q' };
    expect((await resolveAwsConfig({ env })).region).toBe('ca-central-1');
  });

  it('names the missing profile, and says where a region can come from', async () => {
    const env = homeWith('[profile p]\noutput = json\n');
    await expect(resolveAwsConfig({ env: { ...env, AWS_PROFILE: 'nope' } })).rejects.toThrow(
      /aws profile "nope" is not in the shared config or credentials file/,
    );
    await expect(resolveAwsConfig({ env: { ...env, AWS_PROFILE: 'p' } })).rejects.toThrow(
      /no AWS region: .* or set region in the "p" profile of ~\/\.aws\/config/,
    );
  });

  it('orders endpoints as AWS does: flag, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, services section, profile', async () => {
    const env = homeWith(
      [
        '[profile p]',
        'region = eu-west-1',
        'endpoint_url = http://127.0.0.1:1001',
        'services = local',
        '[services local]',
        'sts =',
        '  endpoint_url = http://127.0.0.1:1002',
        '',
      ].join('\n'),
    );
    const fromFile = await resolveAwsConfig({ env: { ...env, AWS_PROFILE: 'p' } });
    expect(fromFile.endpoints.sts).toBe('http://127.0.0.1:1002');
    expect(fromFile.endpoints.ec2).toBe('http://127.0.0.1:1001');
    const fromEnv = await resolveAwsConfig({
      env: {
        ...env,
        AWS_PROFILE: 'p',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:2000',
        AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:2001',
        AWS_ENDPOINT_URL_AUTO_SCALING: 'http://127.0.0.1:2002',
      },
    });
    expect(fromEnv.endpoints).toEqual({
      ec2: 'http://127.0.0.1:2001',
      autoScaling: 'http://127.0.0.1:2002',
      cloudFormation: 'http://127.0.0.1:2000',
      route53: 'http://127.0.0.1:2000',
      s3: 'http://127.0.0.1:2000',
      sts: 'http://127.0.0.1:2000',
      ssm: 'http://127.0.0.1:2000',
      kms: 'http://127.0.0.1:2000',
    });
    const flag = await resolveAwsConfig({
      env: { ...env, AWS_PROFILE: 'p', AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:2001' },
      endpointUrl: 'http://127.0.0.1:3000',
    });
    expect(new Set(Object.values(flag.endpoints))).toEqual(new Set(['http://127.0.0.1:3000']));
    const ignored = await resolveAwsConfig({
      env: {
        ...env,
        AWS_PROFILE: 'p',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:2000',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      },
    });
    expect(ignored.endpoints).toEqual({});
    await expect(
      resolveAwsConfig({ env: { ...env, AWS_PROFILE: 'p', AWS_ENDPOINT_URL_S3: 'localhost:9000' } }),
    ).rejects.toThrow(/endpoint url "localhost:9000" is not an http\(s\) url/);
  });

  it('takes retry settings from AWS_MAX_ATTEMPTS / AWS_RETRY_MODE, then the profile, then defaults', async () => {
    const env = homeWith('[default]\nregion = eu-west-1\nmax_attempts = 7\nretry_mode = adaptive\n');
    expect(await resolveAwsConfig({ env })).toMatchObject({ maxAttempts: 7, retryMode: 'adaptive' });
    expect(
      await resolveAwsConfig({ env: { ...env, AWS_MAX_ATTEMPTS: '2', AWS_RETRY_MODE: 'legacy' } }),
    ).toMatchObject({ maxAttempts: 2, retryMode: 'legacy' });
    expect(await resolveAwsConfig({ env: { ...homeWith('[default]\nregion = eu-west-1\n') } })).toMatchObject(
      {
        maxAttempts: DEFAULT_MAX_ATTEMPTS,
        retryMode: 'standard',
      },
    );
    await expect(resolveAwsConfig({ env: { ...env, AWS_MAX_ATTEMPTS: 'many' } })).rejects.toThrow(UsageError);
    await expect(resolveAwsConfig({ env: { ...env, AWS_RETRY_MODE: 'eager' } })).rejects.toThrow(
      /retry mode "eager" .* is not one of standard, adaptive, legacy/,
    );
  });
});

describe('AWS clients against a local endpoint', () => {
  const keys = { AWS_ACCESS_KEY_ID: 'AKIAHABITS', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'eu-west-1' };

  it('sends each service to its own AWS_ENDPOINT_URL_<SERVICE> over AWS_ENDPOINT_URL', async () => {
    const env = {
      ...homeWith(''),
      ...keys,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_STS: endpoint.url,
    };
    const aws = await createAwsClients({ env });
    expect(await aws.sts.accountId()).toBe('111122223333');
    expect(endpoint.seen).toHaveLength(1);
  });

  it('makes as many attempts as AWS_MAX_ATTEMPTS says', async () => {
    const env = { ...homeWith(''), ...keys, AWS_ENDPOINT_URL: endpoint.url };
    endpoint.failFirst = 10;
    const two = await createAwsClients({ env: { ...env, AWS_MAX_ATTEMPTS: '2' } });
    await expect(two.sts.accountId()).rejects.toThrow(/sts:GetCallerIdentity failed/);
    expect(endpoint.seen).toHaveLength(2);
    endpoint.seen.length = 0;
    endpoint.failFirst = 2;
    const three = await createAwsClients({ env: { ...env, AWS_MAX_ATTEMPTS: '3' } });
    expect(await three.sts.accountId()).toBe('111122223333');
    expect(endpoint.seen).toHaveLength(3);
  });

  it('goes through HTTP_PROXY / HTTPS_PROXY with CONNECT, and straight to hosts NO_PROXY names', async () => {
    const env = { ...homeWith(''), ...keys, AWS_ENDPOINT_URL: endpoint.url };
    const proxied = await createAwsClients({ env: { ...env, HTTP_PROXY: proxy.url } });
    expect(await proxied.sts.accountId()).toBe('111122223333');
    expect(proxy.targets).toEqual([new URL(endpoint.url).host]);
    proxy.targets.length = 0;
    const direct = await createAwsClients({
      env: { ...env, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' },
    });
    expect(await direct.sts.accountId()).toBe('111122223333');
    expect(proxy.targets).toEqual([]);
    await expect(createAwsClients({ env: { ...env, HTTPS_PROXY: 'proxy:3128' } })).rejects.toThrow(
      /HTTPS_PROXY "proxy:3128" is not an http\(s\) proxy url/,
    );
  });

  it('signs with the role credentials of an SSO profile, from the cached SSO token', async () => {
    const env = homeWith(
      [
        '[profile sso]',
        'sso_session = corp',
        'sso_account_id = 111122223333',
        'sso_role_name = Dev',
        'region = eu-west-1',
        '[sso-session corp]',
        'sso_region = eu-west-1',
        'sso_start_url = https://corp.awsapps.com/start',
        '',
      ].join('\n'),
    );
    // The SDK names the cache file after the SHA-1 of the session name, as `aws sso login` does.
    const { createHash } = await import('node:crypto');
    const cache = join(
      home,
      '.aws',
      'sso',
      'cache',
      `${createHash('sha1').update('corp').digest('hex')}.json`,
    );
    writeFileSync(
      cache,
      JSON.stringify({
        startUrl: 'https://corp.awsapps.com/start',
        region: 'eu-west-1',
        accessToken: 'cached-sso-token',
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    );
    // The SDK's SSO client reads its endpoint and HOME from the process environment.
    vi.stubEnv('HOME', home);
    vi.stubEnv('AWS_ENDPOINT_URL_SSO', endpoint.url);
    const aws = await createAwsClients({
      env: {
        ...env,
        AWS_PROFILE: 'sso',
        AWS_ENDPOINT_URL_STS: endpoint.url,
        AWS_ENDPOINT_URL_SSO: endpoint.url,
      },
    });
    expect(aws.region).toBe('eu-west-1');
    expect(await aws.sts.accountId()).toBe('111122223333');
    const [federation, sts] = endpoint.seen;
    expect(federation?.url).toMatch(/^\/federation\/credentials\?.*role_name=Dev/);
    expect(federation?.headers['x-amz-sso_bearer_token']).toBe('cached-sso-token');
    expect(String(sts?.headers.authorization)).toContain('Credential=ASIASSOHABITS/');
  });
});

describe('bypassesProxy', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1', true],
    ['ec2.eu-west-1.amazonaws.com', '.amazonaws.com', true],
    ['ec2.eu-west-1.amazonaws.com', 'amazonaws.com', true],
    ['notamazonaws.com', 'amazonaws.com', false],
    ['anything', '*', true],
    ['host', 'other:8080, host:443', true],
    ['host', '', false],
  ])('%s with NO_PROXY=%s: %s', (host, noProxy, expected) => {
    expect(bypassesProxy(host, noProxy)).toBe(expected);
  });
});
