import { loadPrivateKey, loadPublicKey, type PrivateKey, type PublicKey } from '@samlkit/core';

/** A freshly generated key pair, loaded through the public PEM loaders. */
export interface TestKeyPair {
  readonly privateKey: PrivateKey;
  readonly publicKey: PublicKey;
  readonly privatePem: string;
  readonly publicPem: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  const lines = b64.match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
}

/** Generates an RSA-2048 or ECDSA P-256 key pair with WebCrypto and exports it to PEM. */
export async function generateTestKeyPair(alg: 'rsa' | 'p256'): Promise<TestKeyPair> {
  const params =
    alg === 'rsa'
      ? {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        }
      : { name: 'ECDSA', namedCurve: 'P-256' };
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const privatePem = pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const publicPem = pem('PUBLIC KEY', await crypto.subtle.exportKey('spki', pair.publicKey));
  return {
    privateKey: loadPrivateKey(privatePem),
    publicKey: loadPublicKey(publicPem),
    privatePem,
    publicPem,
  };
}
