import type { ServiceAccountKeys } from './keys.js';

/** Paths of the service-account issuer discovery documents (kube-apiserver's). */
export const OIDC_CONFIGURATION_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';

/**
 * The OpenID provider configuration kube-apiserver serves, so others (AWS STS, Vault) can verify
 * the cluster's tokens. `jwksUri` defaults to the issuer URL plus /openid/v1/jwks, as upstream.
 */
export function buildOpenIdConfiguration(
  issuer: string,
  keys: ServiceAccountKeys,
  jwksUri = `${issuer.replace(/\/$/, '')}${JWKS_PATH}`,
): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(keys.verify.map((k) => k.alg))],
  };
}

/** The JSON Web Key Set of every key that verifies tokens (public parts only). */
export function buildJwks(keys: ServiceAccountKeys): { keys: Record<string, unknown>[] } {
  return {
    keys: keys.verify.map((k) => {
      const jwk = k.key.export({ format: 'jwk' }) as Record<string, unknown>;
      // Public members only: an exported public KeyObject carries none of d, p, q.
      const { kty, n, e, crv, x, y } = jwk;
      return Object.fromEntries(
        Object.entries({ use: 'sig', kty, kid: k.kid, crv, alg: k.alg, n, e, x, y }).filter(
          ([, v]) => v !== undefined,
        ),
      );
    }),
  };
}
