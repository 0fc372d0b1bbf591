import {
  type CryptoProvider,
  createSelfSignedCertificate,
  type PrivateKey,
  type PublicKey,
} from '@samlkit/core';

/** Key algorithms the test IdP can generate. */
export type TestKeyAlgorithm = 'rsa2048' | 'rsa3072' | 'p256';

/** Options of {@link generateTestKeys}. */
export interface GenerateTestKeysOptions {
  /** Key algorithm. Default `rsa2048`. */
  readonly alg?: TestKeyAlgorithm;
  /** Certificate subject CN. Default `samlkit test idp`. */
  readonly subject?: string;
  /** Certificate validity in days. Default 3650. */
  readonly days?: number;
  /** Start of the certificate's validity. Default: now. */
  readonly now?: Date;
  /** The WebCrypto provider (default `globalThis.crypto`). */
  readonly crypto?: CryptoProvider;
}

/** A generated key pair with its self-signed certificate, in every form tests need. */
export interface TestKeys {
  /** The private key, for signing (testkit) or decrypting (SP). */
  readonly privateKey: PrivateKey;
  /** The public key, as `validateResponse` takes it in `idp.signingKeys`. */
  readonly publicKey: PublicKey;
  /** The private key as PKCS#8 PEM. */
  readonly privateKeyPem: string;
  /** The self-signed certificate as PEM (what IdP metadata and `--idp-cert` carry). */
  readonly certificatePem: string;
}

/**
 * Generates a key pair and a self-signed certificate for a test IdP (or a test SP), on WebCrypto.
 *
 * @param options - algorithm, subject, validity
 * @returns the keys as loaded keys and as PEM
 * @throws SamlError `CONFIG_INVALID` for a bad subject or validity
 * @example A test IdP key
 * ```ts
 * const idpKeys = await generateTestKeys({ alg: 'p256' });
 * const xml = await buildResponse({ signingKey: idpKeys, ...rest });
 * ```
 * @see RFC 5280 (the certificate), SAML metadata §2.4.1.1 (KeyDescriptor)
 */
export async function generateTestKeys(options: GenerateTestKeysOptions = {}): Promise<TestKeys> {
  const generated = await createSelfSignedCertificate({
    subject: options.subject ?? 'samlkit test idp',
    days: options.days ?? 3650,
    alg: options.alg ?? 'rsa2048',
    ...(options.now ? { now: options.now } : {}),
    ...(options.crypto ? { crypto: options.crypto } : {}),
  });
  return {
    privateKey: generated.privateKey,
    publicKey: generated.publicKey,
    privateKeyPem: generated.privateKeyPem,
    certificatePem: generated.certificatePem,
  };
}
