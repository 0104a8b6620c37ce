import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/light.js';

/** grpc.health.v1 (github.com/grpc/grpc-proto, grpc/health/v1/health.proto), the messages Check uses. */
const root = protobuf.Root.fromJSON({
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: {
                    ServingStatus: {
                      values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
});
const Request = root.lookupType('grpc.health.v1.HealthCheckRequest');
const Response = root.lookupType('grpc.health.v1.HealthCheckResponse');
const statusNames = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** The path of the health service's Check method. */
export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** Encodes a HealthCheckRequest (tests' servers use the pair below too). */
export function encodeHealthRequest(service: string): Buffer {
  return Buffer.from(Request.encode(Request.create({ service })).finish());
}

/** Decodes a HealthCheckRequest. */
export function decodeHealthRequest(bytes: Buffer): { service: string } {
  const m = Request.toObject(Request.decode(bytes), { defaults: true }) as { service: string };
  return { service: m.service };
}

/** Encodes a HealthCheckResponse with a ServingStatus number. */
export function encodeHealthResponse(status: number): Buffer {
  return Buffer.from(Response.encode(Response.create({ status })).finish());
}

function decodeHealthResponse(bytes: Buffer): number {
  const m = Response.toObject(Response.decode(bytes), { defaults: true }) as { status: number };
  return m.status;
}

/**
 * A gRPC probe as the kubelet runs it: plaintext to `host:port`, `Health/Check` for `service`
 * with a deadline of the probe's timeout; success only when the answer is SERVING.
 */
export function grpcProbe(
  host: string,
  port: number,
  service: string,
  timeoutMs: number,
): Promise<{ ok: boolean; message: string }> {
  const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      HEALTH_CHECK_PATH,
      encodeHealthRequest,
      decodeHealthResponse,
      service,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, status) => {
        client.close();
        if (err)
          resolve({ ok: false, message: `gRPC probe to ${target} failed: ${err.details || err.message}` });
        else if (status === 1) resolve({ ok: true, message: 'ok' });
        else
          resolve({
            ok: false,
            message: `service unhealthy (responded with "${statusNames[status ?? 0] ?? status}")`,
          });
      },
    );
  });
}
