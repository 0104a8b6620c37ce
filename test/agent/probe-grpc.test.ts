/**
 * gRPC probes against a real gRPC server (grpc-js) on loopback serving grpc.health.v1: SERVING
 * passes, NOT_SERVING and an unknown service fail with the kubelet's message, a server that never
 * answers fails at timeoutSeconds, a closed port fails.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeHealthRequest, encodeHealthResponse, HEALTH_CHECK_PATH } from '../../src/agent/probe-grpc.js';
import { runProbe } from '../../src/agent/probes.js';
import type { Runtime } from '../../src/agent/runtime/types.js';

/** ServingStatus by service name; a missing name answers NOT_FOUND as grpc-go's health server does. */
const statuses = new Map<string, number>([['', 1]]);
let server: grpc.Server;
let port: number;

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(
    {
      Check: {
        path: HEALTH_CHECK_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: () => Buffer.alloc(0),
        requestDeserialize: decodeHealthRequest,
        responseSerialize: encodeHealthResponse,
        responseDeserialize: () => 0,
      },
    },
    {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, cb: grpc.sendUnaryData<number>) => {
        const { service } = call.request;
        if (service === 'hang') return;
        const status = statuses.get(service);
        if (status === undefined) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
        else cb(null, status);
      },
    },
  );
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
});

afterAll(async () => {
  await new Promise<void>((r) => server.tryShutdown(() => r()));
  server.forceShutdown();
});

const probe = (service: string | undefined, p = port, timeoutSeconds = 1) =>
  runProbe(
    { grpc: { port: p, ...(service === undefined ? {} : { service }) }, timeoutSeconds },
    {
      runtime: {} as Runtime,
      containerId: 'c',
      podIP: '127.0.0.1',
      container: { name: 'main', image: 'x' },
    },
  );

it('passes when the health service answers SERVING (the default service "")', async () => {
  await expect(probe(undefined)).resolves.toEqual({ ok: true, message: 'ok' });
});

it('fails on NOT_SERVING and on an unknown service', async () => {
  statuses.set('db', 2);
  await expect(probe('db')).resolves.toEqual({
    ok: false,
    message: 'service unhealthy (responded with "NOT_SERVING")',
  });
  const unknown = await probe('nope');
  expect(unknown.ok).toBe(false);
  expect(unknown.message).toContain('unknown service');
  statuses.set('db', 1);
  await expect(probe('db')).resolves.toEqual({ ok: true, message: 'ok' });
});

it('fails a server that never answers once the timeout passes', async () => {
  const result = await probe('hang', port, 1);
  expect(result.ok).toBe(false);
  expect(result.message).toMatch(/deadline|timed out/i);
}, 30_000);

it('fails when nothing listens on the port', async () => {
  const closed = new grpc.Server();
  const free = await new Promise<number>((resolve, reject) =>
    closed.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  closed.forceShutdown();
  const result = await probe(undefined, free, 2);
  expect(result.ok).toBe(false);
  expect(result.message).toMatch(/failed|timed out/);
}, 30_000);
