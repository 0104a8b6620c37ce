import { generateKeyPairSync } from 'node:crypto';

/**
 * A new service-account signing key: RSA 2048 as PKCS#8 PEM. RS256 is what every OIDC verifier
 * accepts (AWS STS among them), unlike the ECDSA keys the cluster's certificates use.
 */
export function generateServiceAccountKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
