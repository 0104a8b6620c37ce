import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt } from '../../../src/control-plane/serviceaccounts/jwt.js';
import {
  keyIdOf,
  loadServiceAccountKeys,
  type ServiceAccountKeys,
} from '../../../src/control-plane/serviceaccounts/keys.js';
import type { LookedUp, ObjectLookup } from '../../../src/control-plane/serviceaccounts/lookup.js';
import { buildJwks, buildOpenIdConfiguration } from '../../../src/control-plane/serviceaccounts/oidc.js';
import { issueTokenRequest } from '../../../src/control-plane/serviceaccounts/token-request.js';
import { verifyServiceAccountToken } from '../../../src/control-plane/serviceaccounts/token-verify.js';
import { generateServiceAccountKeyPem } from '../../../src/pki/service-account-key.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const pem = generateServiceAccountKeyPem();
const keys = loadServiceAccountKeys({ pem, source: 'sa.key' });
const issuer = { keys, issuer: ISSUER, apiAudiences: [ISSUER] };
const verifier = { keys, issuers: [ISSUER], apiAudiences: [ISSUER] };
const T0 = new Date('2026-03-01T10:00:00Z');

function world(): { objects: Map<string, LookedUp>; lookup: ObjectLookup } {
  const objects = new Map<string, LookedUp>([
    ['serviceaccounts/app/builder', { metadata: { name: 'builder', uid: 'sa-uid-1' } }],
    [
      'pods/app/web-0',
      {
        metadata: { name: 'web-0', uid: 'pod-uid-1' },
        spec: { serviceAccountName: 'builder', nodeName: 'n1' },
      },
    ],
    ['nodes//n1', { metadata: { name: 'n1', uid: 'node-uid-1' } }],
    ['secrets/app/s', { metadata: { name: 's', uid: 'secret-uid-1' } }],
  ]);
  return {
    objects,
    lookup: { get: async (r, ns, name) => objects.get(`${r}/${ns ?? ''}/${name}`) },
  };
}

async function issue(lookup: ObjectLookup, spec: Record<string, unknown> = {}, now = T0) {
  const tr = await issueTokenRequest(lookup, issuer, 'app', 'builder', { spec }, now);
  return tr.status as { token: string; expirationTimestamp: string };
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

describe('service-account token claims', () => {
  it('carries the upstream registered and kubernetes.io claims for a pod-bound token', async () => {
    const { lookup } = world();
    const { token, expirationTimestamp } = await issue(lookup, {
      audiences: ['vault'],
      expirationSeconds: 600,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-0' },
    });
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'RS256', kid: keyIdOf(createPublicKey(pem)) });
    const c = claimsOf(token);
    expect(c).toMatchObject({
      iss: ISSUER,
      sub: 'system:serviceaccount:app:builder',
      aud: ['vault'],
      iat: T0.getTime() / 1000,
      nbf: T0.getTime() / 1000,
      exp: T0.getTime() / 1000 + 600,
      'kubernetes.io': {
        namespace: 'app',
        serviceaccount: { name: 'builder', uid: 'sa-uid-1' },
        pod: { name: 'web-0', uid: 'pod-uid-1' },
        node: { name: 'n1', uid: 'node-uid-1' },
      },
    });
    expect(typeof c.jti).toBe('string');
    expect(expirationTimestamp).toBe('2026-03-01T10:10:00Z');
  });

  it('defaults to an hour and the API audiences, and refuses what upstream refuses', async () => {
    const { lookup } = world();
    const c = claimsOf((await issue(lookup)).token);
    expect(c.exp - c.iat).toBe(3600);
    expect(c.aud).toEqual([ISSUER]);
    await expect(issue(lookup, { expirationSeconds: 599 })).rejects.toMatchObject({
      code: 422,
      message:
        'TokenRequest.authentication.k8s.io "builder" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
    });
    await expect(
      issue(lookup, { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } }),
    ).rejects.toMatchObject({
      code: 400,
      message: 'cannot bind token for serviceaccount "builder" to object of type v1, Kind=ConfigMap',
    });
    await expect(
      issue(lookup, { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'gone' } }),
    ).rejects.toMatchObject({
      code: 404,
      message: 'pods "gone" not found',
    });
    await expect(
      issue(lookup, { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 's', uid: 'other' } }),
    ).rejects.toMatchObject({ code: 409 });
    await expect(issueTokenRequest(lookup, issuer, 'app', 'nobody', {}, T0)).rejects.toMatchObject({
      code: 404,
      message: 'serviceaccounts "nobody" not found',
    });
  });
});

describe('service-account token verification', () => {
  const verify = (token: string, lookup: ObjectLookup, now = T0, opts = verifier) =>
    verifyServiceAccountToken(token, opts, lookup, now);

  it('accepts a fresh token and names the account, pod and credential', async () => {
    const { lookup } = world();
    const { token } = await issue(lookup, {
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-0' },
    });
    const r = await verify(token, lookup);
    expect(r).toMatchObject({
      kind: 'ok',
      identity: {
        namespace: 'app',
        name: 'builder',
        uid: 'sa-uid-1',
        extra: {
          'authentication.kubernetes.io/pod-name': ['web-0'],
          'authentication.kubernetes.io/pod-uid': ['pod-uid-1'],
        },
      },
    });
  });

  it('rejects expiry (past the minute of leeway), another audience, another key, and leaves other issuers alone', async () => {
    const { lookup } = world();
    const { token } = await issue(lookup, { expirationSeconds: 600 });
    expect((await verify(token, lookup, new Date(T0.getTime() + 659_000))).kind).toBe('ok');
    expect(await verify(token, lookup, new Date(T0.getTime() + 661_000))).toEqual({
      kind: 'rejected',
      reason: 'service account token has expired',
    });
    const vault = (await issue(lookup, { audiences: ['vault'] })).token;
    expect((await verify(vault, lookup)).kind).toBe('rejected');
    const otherKeys = loadServiceAccountKeys({ pem: generateServiceAccountKeyPem(), source: 'other.key' });
    const forged = (await issueTokenRequest(lookup, { ...issuer, keys: otherKeys }, 'app', 'builder', {}, T0))
      .status as { token: string };
    expect(await verify(forged.token, lookup)).toEqual({
      kind: 'rejected',
      reason: 'invalid signature or unknown key',
    });
    expect(await verify(token, lookup, T0, { ...verifier, issuers: ['https://elsewhere'] })).toEqual({
      kind: 'not-ours',
    });
    expect(await verify('not-a-jwt', lookup)).toEqual({ kind: 'not-ours' });
  });

  it('refuses alg none and a payload changed after signing', async () => {
    const { lookup } = world();
    const { token } = await issue(lookup);
    const [, payload, sig] = token.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    expect((await verify(none, lookup)).kind).toBe('rejected');
    const changed = { ...claimsOf(token), sub: 'system:serviceaccount:kube-system:admin' };
    const tampered = `${token.split('.')[0]}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${sig}`;
    expect((await verify(tampered, lookup)).kind).toBe('rejected');
  });

  it('rejects once the account or bound pod is gone or replaced', async () => {
    const w = world();
    const { token } = await issue(w.lookup, {
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-0' },
    });
    w.objects.set('pods/app/web-0', { metadata: { name: 'web-0', uid: 'pod-uid-2' }, spec: {} });
    expect(await verify(token, w.lookup)).toEqual({
      kind: 'rejected',
      reason: 'pods app/web-0 UID (pod-uid-2) does not match claim (pod-uid-1)',
    });
    w.objects.delete('pods/app/web-0');
    expect(await verify(token, w.lookup)).toEqual({
      kind: 'rejected',
      reason: 'pods app/web-0 has been deleted',
    });
    const plain = (await issue(w.lookup)).token;
    w.objects.set('serviceaccounts/app/builder', { metadata: { name: 'builder', uid: 'sa-uid-new' } });
    expect((await verify(plain, w.lookup)).kind).toBe('rejected');
  });
});

describe('signing keys and discovery', () => {
  it('signs ES256 with a P-256 key, verifies with older keys during a rotation, and refuses weak keys', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const ecKeys = loadServiceAccountKeys({ pem: ec, source: 'ec.key' });
    const rotated: ServiceAccountKeys = loadServiceAccountKeys({ pem, source: 'new.key' }, [
      { pem: ec, source: 'old.key' },
    ]);
    const token = signJwt({ sub: 'x' }, ecKeys);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg).toBe('ES256');
    expect(verifyJwt(token, rotated)).toEqual({ sub: 'x' });
    expect(verifyJwt(token, keys)).toBeUndefined();
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => loadServiceAccountKeys({ pem: weak, source: '/etc/tugboat/sa.key' })).toThrow(
      '/etc/tugboat/sa.key: an RSA service-account key needs at least 2048 bits',
    );
    expect(() => loadServiceAccountKeys({ pem: 'garbage', source: 'x.key' })).toThrow(
      /^x\.key: not a PEM private key/,
    );
  });

  it('publishes an OpenID configuration and a JWKS with public members only', () => {
    expect(buildOpenIdConfiguration(ISSUER, keys)).toEqual({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const [jwk] = buildJwks(keys).keys;
    expect(Object.keys(jwk!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(
      createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }),
    ).toBe(createPublicKey(pem).export({ type: 'spki', format: 'pem' }));
  });
});
