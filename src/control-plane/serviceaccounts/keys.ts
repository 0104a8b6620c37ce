import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/** JWS algorithms the service-account tokens use: RS256 for RSA keys, ES256 for P-256 keys. */
export type TokenAlgorithm = 'RS256' | 'ES256';

/** One key that verifies tokens, with the `kid` tokens signed by it carry. */
export interface VerifyKey {
  readonly kid: string;
  readonly alg: TokenAlgorithm;
  readonly key: KeyObject;
}

/** The cluster's service-account key material: one signing key, any number of verifying keys. */
export interface ServiceAccountKeys {
  readonly signing: VerifyKey & { readonly privateKey: KeyObject };
  /** Public keys that verify tokens (the signing key's own first; older keys after it during a rotation). */
  readonly verify: readonly VerifyKey[];
}

function algorithmOf(key: KeyObject, source: string): TokenAlgorithm {
  if (key.asymmetricKeyType === 'rsa') {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
      throw new Error(`${source}: an RSA service-account key needs at least 2048 bits`);
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(
    `${source}: a service-account key must be RSA (2048 bits or more) or ECDSA P-256, not ${key.asymmetricKeyType ?? 'unknown'}`,
  );
}

/**
 * The key id kube-apiserver gives a public key: base64url of the SHA-256 of its PKIX (SPKI) DER, so
 * verifiers elsewhere pick the right JWKS entry.
 */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

function publicOf(pem: string, source: string): KeyObject {
  try {
    return pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } catch (err) {
    throw new Error(`${source}: not a PEM public or private key (${(err as Error).message})`);
  }
}

/**
 * Loads the signing key (kube-apiserver's --service-account-signing-key-file) and the keys that
 * verify (--service-account-key-file, PEM public or private keys; several blocks per file allowed).
 * Errors name the file, never the key.
 */
export function loadServiceAccountKeys(
  signing: { readonly pem: string; readonly source: string },
  verifying: readonly { readonly pem: string; readonly source: string }[] = [],
): ServiceAccountKeys {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(signing.pem);
  } catch (err) {
    throw new Error(`${signing.source}: not a PEM private key (${(err as Error).message})`);
  }
  const publicKey = createPublicKey(privateKey);
  const own: VerifyKey = {
    kid: keyIdOf(publicKey),
    alg: algorithmOf(privateKey, signing.source),
    key: publicKey,
  };
  const verify: VerifyKey[] = [own];
  for (const { pem, source } of verifying) {
    const blocks = pem.match(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g) ?? [];
    if (blocks.length === 0) throw new Error(`${source}: no PEM key found`);
    for (const block of blocks) {
      const key = publicOf(block, source);
      const kid = keyIdOf(key);
      if (!verify.some((k) => k.kid === kid)) verify.push({ kid, alg: algorithmOf(key, source), key });
    }
  }
  return { signing: { ...own, privateKey }, verify };
}
