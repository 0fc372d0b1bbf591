import {
  assertHashAllowed,
  type SignatureAlgorithm,
  type SignatureAlgorithmName,
  signatureAlgorithmByUri,
} from '../crypto/algorithms.js';
import {
  importPrivateKey,
  importPublicKey,
  type KeyUse,
  type PrivateKey,
  type PublicKey,
} from '../crypto/keys.js';
import { type CryptoProvider, resolveCrypto } from '../crypto/provider.js';
import { SamlError } from '../errors.js';

function keyUse(alg: SignatureAlgorithm): KeyUse {
  return alg.keyType === 'EC'
    ? { name: 'ECDSA', hash: alg.hash }
    : { name: 'RSASSA-PKCS1-v1_5', hash: alg.hash };
}

function webCryptoParams(alg: SignatureAlgorithm): AlgorithmIdentifier | EcdsaParams {
  return alg.keyType === 'EC' ? { name: 'ECDSA', hash: alg.hash } : { name: 'RSASSA-PKCS1-v1_5' };
}

/**
 * The default signature algorithm for a key: rsa-sha256 for RSA, ecdsa-sha256 for EC.
 * @internal
 */
export function defaultSignatureAlgorithm(key: PrivateKey | PublicKey): SignatureAlgorithmName {
  return key.keyType === 'EC' ? 'ecdsa-sha256' : 'rsa-sha256';
}

/**
 * Signs bytes with a private key. ECDSA signatures are raw `r ‖ s` as XML-DSig (RFC 4050 §3.3)
 * and the SAML Redirect binding expect.
 * @internal
 */
export async function signBytes(
  data: Uint8Array,
  key: PrivateKey,
  algorithm: SignatureAlgorithm,
  crypto?: CryptoProvider,
): Promise<Uint8Array> {
  const provider = resolveCrypto(crypto);
  const cryptoKey = await importPrivateKey(key, keyUse(algorithm), provider);
  const sig = await provider.subtle.sign(
    webCryptoParams(algorithm),
    cryptoKey,
    data as BufferSource,
  );
  return new Uint8Array(sig);
}

/** Options for {@link verifyBytes}. @internal */
export interface VerifyBytesOptions {
  /** The trusted keys; the first that verifies wins. */
  readonly keys: readonly PublicKey[];
  /** Accept SHA-1 based algorithms. */
  readonly allowSha1?: boolean;
  readonly crypto?: CryptoProvider;
}

/**
 * Verifies a signature over bytes against the configured keys only. Keys whose type does not fit
 * the algorithm are skipped.
 *
 * @returns the key that verified
 * @throws SamlError `SIGNATURE_ALGORITHM_UNSUPPORTED`, `SIGNATURE_ALGORITHM_FORBIDDEN`,
 *   `SIGNATURE_KEY_UNTRUSTED` (no configured key fits), `SIGNATURE_INVALID`
 * @internal
 */
export async function verifyBytes(
  data: Uint8Array,
  signature: Uint8Array,
  algorithmUri: string,
  options: VerifyBytesOptions,
): Promise<PublicKey> {
  // The SigAlg of a message: the full URI only (SAML bindings §3.4.4.1), matched exactly.
  const alg = signatureAlgorithmByUri(algorithmUri);
  assertHashAllowed(alg.hash, alg.uri, options.allowSha1 ?? false);
  const provider = resolveCrypto(options.crypto);
  const candidates = options.keys.filter((k) => k.keyType === alg.keyType);
  if (candidates.length === 0) {
    throw new SamlError('SIGNATURE_KEY_UNTRUSTED', 'No configured key can check this signature.', {
      expected: `a configured ${alg.keyType} key for ${alg.name}`,
      found: options.keys.length
        ? `only ${[...new Set(options.keys.map((k) => k.keyType))].join('/')} keys`
        : 'no keys configured',
      hint: 'configure the IdP signing certificate (from its metadata)',
    });
  }
  for (const key of candidates) {
    const cryptoKey = await importPublicKey(key, keyUse(alg), provider);
    const ok = await provider.subtle.verify(
      webCryptoParams(alg),
      cryptoKey,
      signature as BufferSource,
      data as BufferSource,
    );
    if (ok) return key;
  }
  throw new SamlError(
    'SIGNATURE_INVALID',
    'The signature does not verify with any configured key.',
    {
      expected: `a ${alg.name} signature by one of ${candidates.length} configured key(s)`,
      found: 'a signature none of them made',
      hint: 'the IdP may have rolled its signing certificate: refresh its metadata; or the message was altered',
    },
  );
}
