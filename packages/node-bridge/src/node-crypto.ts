// The WebCrypto provider the Node adapters hand to core: Node's own WebCrypto, except that the two
// operations every login runs — the digest of the signed element and the check of the signature
// over SignedInfo — are computed synchronously by node:crypto (the same OpenSSL), instead of as a
// WebCrypto job sent to the thread pool and awaited. Measured on Node 20 (RSA-2048, SHA-256 over
// 1.2 KB): subtle.verify 71 µs of CPU, crypto.verify 26 µs; subtle.digest 41 µs, createHash 4 µs.
// Core stays on the WebCrypto interface (it imports nothing from node:); this only implements
// that interface faster where it can, and answers exactly as WebCrypto does (a differential test
// holds the two together, tampered inputs included). Anything else — other algorithms, keys or
// parameters of another shape, signing, encryption, key import — goes to WebCrypto unchanged.

import { createHash, KeyObject, verify as nodeVerify } from 'node:crypto';
import type { CryptoProvider } from '@samlkit/core';

/** WebCrypto hash names (normalised to upper case, as WebCrypto matches them) → node:crypto's. */
const HASHES: ReadonlyMap<string, string> = new Map([
  ['SHA-1', 'sha1'],
  ['SHA-256', 'sha256'],
  ['SHA-384', 'sha384'],
  ['SHA-512', 'sha512'],
]);

/** The name of a WebCrypto algorithm identifier (`'SHA-256'` or `{ name: 'SHA-256', … }`). */
function nameOf(identifier: unknown): string | undefined {
  const name =
    typeof identifier === 'object' && identifier !== null
      ? (identifier as { name?: unknown }).name
      : identifier;
  return typeof name === 'string' ? name : undefined;
}

/** The node:crypto hash for a WebCrypto hash identifier. */
function hashOf(identifier: unknown): string | undefined {
  const name = nameOf(identifier);
  return name === undefined ? undefined : HASHES.get(name.toUpperCase());
}

/** The bytes of a BufferSource as a view (no copy: they are read before this call returns). */
function bytesOf(source: unknown): Uint8Array | undefined {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) {
    return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  }
  return undefined;
}

/** The KeyObject of each CryptoKey seen (keys are imported once per IdP key and reused). */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObjectOf(key: CryptoKey): KeyObject {
  let object = keyObjects.get(key);
  if (object === undefined) {
    object = KeyObject.from(key);
    keyObjects.set(key, object);
  }
  return object;
}

/**
 * How node:crypto checks a signature made with `algorithm` by `key`, when the pair has the shape
 * samlkit uses (RSASSA-PKCS1-v1_5 with the key's hash, ECDSA with the given hash and raw r‖s
 * signatures as WebCrypto and XML-DSig use) and WebCrypto would accept it (a public key for
 * `verify`, of the algorithm named); otherwise undefined, and WebCrypto answers.
 */
function nodeVerification(
  algorithm: unknown,
  key: CryptoKey,
): { readonly hash: string; readonly ecdsa: boolean } | undefined {
  const name = nameOf(algorithm);
  if (name === undefined || key.type !== 'public' || !key.usages.includes('verify')) {
    return undefined;
  }
  const upper = name.toUpperCase();
  if (upper !== key.algorithm.name.toUpperCase()) return undefined;
  if (upper === 'RSASSA-PKCS1-V1_5') {
    const hash = hashOf((key.algorithm as RsaHashedKeyAlgorithm).hash);
    return hash === undefined ? undefined : { hash, ecdsa: false };
  }
  if (upper === 'ECDSA' && typeof algorithm === 'object') {
    const hash = hashOf((algorithm as { hash?: unknown }).hash);
    return hash === undefined ? undefined : { hash, ecdsa: true };
  }
  return undefined;
}

/**
 * A WebCrypto `SubtleCrypto` that computes `digest` (SHA-1/256/384/512) and `verify`
 * (RSASSA-PKCS1-v1_5, ECDSA) with node:crypto and hands every other call to `web`.
 */
function fastSubtle(web: SubtleCrypto): SubtleCrypto {
  const digest = (algorithm: AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer> => {
    const hash = hashOf(algorithm);
    const bytes = bytesOf(data);
    if (hash === undefined || bytes === undefined) return web.digest(algorithm, data);
    const out = createHash(hash).update(bytes).digest();
    // A fresh ArrayBuffer holding exactly the digest, as WebCrypto returns.
    return Promise.resolve(new Uint8Array(out).buffer);
  };
  const verify = (
    algorithm: AlgorithmIdentifier | EcdsaParams,
    key: CryptoKey,
    signature: BufferSource,
    data: BufferSource,
  ): Promise<boolean> => {
    const how = key instanceof CryptoKey ? nodeVerification(algorithm, key) : undefined;
    const sig = bytesOf(signature);
    const bytes = bytesOf(data);
    if (how === undefined || sig === undefined || bytes === undefined) {
      return web.verify(algorithm, key, signature, data);
    }
    try {
      const object = keyObjectOf(key);
      const ok = how.ecdsa
        ? nodeVerify(how.hash, bytes, { key: object, dsaEncoding: 'ieee-p1363' }, sig)
        : nodeVerify(how.hash, bytes, object, sig);
      return Promise.resolve(ok);
    } catch {
      // Whatever node:crypto cannot take, WebCrypto answers (false or its own error).
      return web.verify(algorithm, key, signature, data);
    }
  };
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(web, {
    get(target, property) {
      if (property === 'digest') return digest;
      if (property === 'verify') return verify;
      let value = bound.get(property);
      if (value === undefined) {
        const own = Reflect.get(target, property, target) as unknown;
        // SubtleCrypto's methods must be called on the real object.
        value = typeof own === 'function' ? own.bind(target) : own;
        bound.set(property, value);
      }
      return value;
    },
  });
}

let provider: CryptoProvider | undefined;

/**
 * The crypto provider of the Node adapters (one per process): Node's WebCrypto, with digests and
 * signature checks computed synchronously by node:crypto. Random values come from Node's
 * `getRandomValues`.
 * @throws TypeError when the process has no WebCrypto (Node before 19 without a global `crypto`)
 */
export function nodeCryptoProvider(): CryptoProvider {
  if (provider !== undefined) return provider;
  const web = (globalThis as { crypto?: Crypto }).crypto;
  if (!web?.subtle) {
    throw new TypeError('No WebCrypto found: Node 20 or later has it as globalThis.crypto');
  }
  provider = {
    subtle: fastSubtle(web.subtle),
    getRandomValues: <T extends ArrayBufferView | null>(array: T): T => {
      // Filled in place, as WebCrypto does (which also refuses null and non-integer arrays).
      web.getRandomValues(array as ArrayBufferView<ArrayBuffer>);
      return array;
    },
  };
  return provider;
}
