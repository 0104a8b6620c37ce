import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { AwsCallError, awsErrorCode, isAwsError, mapAwsError } from '../../src/aws/errors.js';
import { AbortError, UsageError } from '../../src/errors.js';

describe('createAwsClients', () => {
  const env = {
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-central-1',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
  };

  it('takes the region from the option, then AWS_REGION, then AWS_DEFAULT_REGION', async () => {
    expect((await createAwsClients({ region: 'us-west-2', env })).region).toBe('us-west-2');
    expect((await createAwsClients({ env })).region).toBe('eu-west-1');
    expect((await createAwsClients({ env: { ...env, AWS_REGION: '' } })).region).toBe('eu-central-1');
  });

  it('takes the endpoint from the option, then AWS_ENDPOINT_URL, else none', async () => {
    expect((await createAwsClients({ endpointUrl: 'http://localhost:9999', env })).endpointUrl).toBe(
      'http://localhost:9999',
    );
    expect((await createAwsClients({ env })).endpointUrl).toBe('http://127.0.0.1:4566');
    expect((await createAwsClients({ env: { ...env, AWS_ENDPOINT_URL: '' } })).endpointUrl).toBeUndefined();
  });

  it('refuses a missing region or a malformed endpoint with how to fix it', async () => {
    const bare = { AWS_CONFIG_FILE: env.AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE: env.AWS_CONFIG_FILE };
    await expect(createAwsClients({ env: bare })).rejects.toThrow(UsageError);
    await expect(createAwsClients({ env: bare })).rejects.toThrow(
      /pass --region, set region in the cluster spec, set AWS_REGION, or set region in the "default" profile/,
    );
    await expect(createAwsClients({ env, endpointUrl: 'localhost:4566' })).rejects.toThrow(
      /use e\.g\. http:\/\/localhost:4566/,
    );
  });
});

describe('AWS error mapping', () => {
  it('keeps the AWS code and message, names the action and adds a hint', () => {
    const sdk = Object.assign(new Error('The vpc vpc-1 has dependencies'), { name: 'DependencyViolation' });
    const err = mapAwsError('ec2:DeleteVpc', sdk) as AwsCallError;
    expect(err).toBeInstanceOf(AwsCallError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe('ec2:DeleteVpc failed (DependencyViolation): The vpc vpc-1 has dependencies');
    expect(err.awsMessage).toBe('The vpc vpc-1 has dependencies');
    expect(isAwsError(err, 'DependencyViolation')).toBe(true);
    const creds = mapAwsError('ec2:DescribeVpcs', Object.assign(new Error('bad'), { name: 'AuthFailure' }));
    expect(creds.message).toContain('check your AWS credentials (--profile, AWS_PROFILE');
    const down = mapAwsError(
      'ec2:DescribeVpcs',
      Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      'http://x',
    );
    expect(down.message).toContain('cannot reach http://x; check --endpoint-url / AWS_ENDPOINT_URL');
  });

  it('matches dotted codes by prefix and turns SDK aborts into AbortError', () => {
    expect(isAwsError({ name: 'InvalidKeyPair.NotFound' }, 'InvalidKeyPair')).toBe(true);
    expect(isAwsError({ name: 'InvalidKeyPairX' }, 'InvalidKeyPair')).toBe(false);
    expect(awsErrorCode('nope')).toBe('');
    expect(mapAwsError('x', Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBeInstanceOf(
      AbortError,
    );
  });
});

describe('abort signal', () => {
  it('cancels requests once it fires, as AbortError', async () => {
    const controller = new AbortController();
    controller.abort();
    const aws = await createAwsClients({
      env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' },
      endpointUrl: 'http://127.0.0.1:9',
      signal: controller.signal,
    });
    await expect(aws.ec2Sweep.describeVpcs([])).rejects.toBeInstanceOf(AbortError);
  });
});

describe('a stuck endpoint', () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('fails every client within its idle timeout, bounded retries, naming the service and the call', async () => {
    // Accepts, reads the request, never answers: moto blocked on a full log pipe did just that.
    let requests = 0;
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', (b) => {
        if (b.toString().match(/^(GET|POST|HEAD|PUT) /)) requests++;
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const address = server.address();
    const endpointUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const aws = await createAwsClients({
      env: {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'y',
        AWS_MAX_ATTEMPTS: '2',
      },
      endpointUrl,
      idleTimeoutMs: 300,
    });
    const bucket = { bucket: 'b', owner: '123456789012' };
    const calls: [string, () => Promise<unknown>][] = [
      ['cloudformation:DescribeStacks', () => aws.cloudFormation.listStacks()],
      ['ec2:DescribeInstances', () => aws.ec2.describeInstances([])],
      ['autoscaling:DescribeAutoScalingGroups', () => aws.autoScaling.describeGroups({ names: ['g'] })],
      ['route53:ListHostedZones', () => aws.route53.listHostedZones()],
      ['s3:HeadObject', () => aws.s3Bundles.objectExists(bucket, 'k')],
      ['sts:GetCallerIdentity', () => aws.sts.accountId()],
      ['ssm:DescribeParameters', () => aws.ssm.listParameters('/tugboat/x/')],
      ['kms:DescribeKey', () => aws.kms.describeKey('alias/tugboat-x')],
    ];
    for (const [action, call] of calls) {
      requests = 0;
      const started = Date.now();
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, action).toBeInstanceOf(AwsCallError);
      expect((err as AwsCallError).action, action).toBe(action);
      expect((err as AwsCallError).message, action).toContain(`${action} failed (TimeoutError): `);
      expect((err as AwsCallError).message, action).toContain(`${endpointUrl} did not answer in time`);
      // Two attempts of 300 ms each plus the SDK's backoff; without a timeout it never returns.
      expect(Date.now() - started, action).toBeLessThan(10_000);
      expect(requests, action).toBe(2);
    }
  });
});
