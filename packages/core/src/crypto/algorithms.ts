import { describeValue, SamlError } from '../errors.js';

/** A hash function WebCrypto knows. */
export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** The kind of key an algorithm needs. */
export type KeyType = 'RSA' | 'EC';

/** A signature algorithm samlkit can verify or produce. */
export interface SignatureAlgorithm {
  /** The XML-DSig URI (also the Redirect binding's SigAlg value). */
  readonly uri: string;
  /** Short name, e.g. `rsa-sha256`. */
  readonly name: string;
  readonly keyType: KeyType;
  readonly hash: HashName;
}

/** A digest algorithm for XML-DSig References. */
export interface DigestAlgorithm {
  readonly uri: string;
  readonly name: string;
  readonly hash: HashName;
}

const MORE = 'http://www.w3.org/2001/04/xmldsig-more#';

/**
 * Signature algorithms by URI (XML-DSig core §6.4, RFC 6931 §2.3). HMAC and DSA are deliberately
 * absent: an HMAC "signature" uses a shared secret the IdP cannot have with us, and DSA is dead.
 */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = Object.freeze({
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': {
    uri: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
    name: 'rsa-sha1',
    keyType: 'RSA',
    hash: 'SHA-1',
  },
  [`${MORE}rsa-sha256`]: {
    uri: `${MORE}rsa-sha256`,
    name: 'rsa-sha256',
    keyType: 'RSA',
    hash: 'SHA-256',
  },
  [`${MORE}rsa-sha384`]: {
    uri: `${MORE}rsa-sha384`,
    name: 'rsa-sha384',
    keyType: 'RSA',
    hash: 'SHA-384',
  },
  [`${MORE}rsa-sha512`]: {
    uri: `${MORE}rsa-sha512`,
    name: 'rsa-sha512',
    keyType: 'RSA',
    hash: 'SHA-512',
  },
  [`${MORE}ecdsa-sha1`]: {
    uri: `${MORE}ecdsa-sha1`,
    name: 'ecdsa-sha1',
    keyType: 'EC',
    hash: 'SHA-1',
  },
  [`${MORE}ecdsa-sha256`]: {
    uri: `${MORE}ecdsa-sha256`,
    name: 'ecdsa-sha256',
    keyType: 'EC',
    hash: 'SHA-256',
  },
  [`${MORE}ecdsa-sha384`]: {
    uri: `${MORE}ecdsa-sha384`,
    name: 'ecdsa-sha384',
    keyType: 'EC',
    hash: 'SHA-384',
  },
  [`${MORE}ecdsa-sha512`]: {
    uri: `${MORE}ecdsa-sha512`,
    name: 'ecdsa-sha512',
    keyType: 'EC',
    hash: 'SHA-512',
  },
});

/** Digest algorithms by URI (XML-DSig core §6.2, XML-Enc §5.7, RFC 6931 §2.1). */
export const DIGEST_ALGORITHMS: Readonly<Record<string, DigestAlgorithm>> = Object.freeze({
  'http://www.w3.org/2000/09/xmldsig#sha1': {
    uri: 'http://www.w3.org/2000/09/xmldsig#sha1',
    name: 'sha1',
    hash: 'SHA-1',
  },
  'http://www.w3.org/2001/04/xmlenc#sha256': {
    uri: 'http://www.w3.org/2001/04/xmlenc#sha256',
    name: 'sha256',
    hash: 'SHA-256',
  },
  [`${MORE}sha384`]: { uri: `${MORE}sha384`, name: 'sha384', hash: 'SHA-384' },
  'http://www.w3.org/2001/04/xmlenc#sha512': {
    uri: 'http://www.w3.org/2001/04/xmlenc#sha512',
    name: 'sha512',
    hash: 'SHA-512',
  },
});

/** Short names accepted wherever an option names a signature algorithm. */
export type SignatureAlgorithmName =
  | 'rsa-sha256'
  | 'rsa-sha384'
  | 'rsa-sha512'
  | 'ecdsa-sha256'
  | 'ecdsa-sha384'
  | 'ecdsa-sha512'
  | 'rsa-sha1'
  | 'ecdsa-sha1';

/**
 * Looks a key up in a table by exact, own key only: an input such as `constructor`, `__proto__`
 * or `toString` finds nothing, where `table[key]` would find what Object.prototype inherits.
 * @internal
 */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

// Exact-match lookups (Maps never consult a prototype chain).
const SIGNATURE_BY_URI: ReadonlyMap<string, SignatureAlgorithm> = new Map(
  Object.values(SIGNATURE_ALGORITHMS).map((a) => [a.uri, a]),
);
const SIGNATURE_BY_NAME: ReadonlyMap<string, SignatureAlgorithm> = new Map(
  Object.values(SIGNATURE_ALGORITHMS).map((a) => [a.name, a]),
);
const DIGEST_BY_URI: ReadonlyMap<string, DigestAlgorithm> = new Map(
  Object.values(DIGEST_ALGORITHMS).map((a) => [a.uri, a]),
);

function unknownSignatureAlgorithm(found: unknown, expected: string): SamlError {
  return new SamlError('SIGNATURE_ALGORITHM_UNSUPPORTED', 'Unknown signature algorithm.', {
    expected,
    found: describeValue(typeof found === 'string' ? found : String(found)),
    hint: 'HMAC and DSA signatures are never accepted; ask the IdP for RSA or ECDSA with SHA-256',
  });
}

/**
 * Looks up a signature algorithm named in a *message* (XML-DSig SignatureMethod, the Redirect and
 * SimpleSign SigAlg): the full algorithm URI only, matched exactly (XML-DSig core §6.1, SAML
 * bindings §3.4.4.1). A short name such as `rsa-sha256` is an option value, never an algorithm
 * identifier in a message.
 * @throws SamlError `SIGNATURE_ALGORITHM_UNSUPPORTED`
 * @internal
 */
export function signatureAlgorithmByUri(uri: string): SignatureAlgorithm {
  const alg = typeof uri === 'string' ? SIGNATURE_BY_URI.get(uri) : undefined;
  if (!alg) {
    throw unknownSignatureAlgorithm(
      uri,
      `one of the algorithm URIs ${[...SIGNATURE_BY_URI.keys()].join(', ')}`,
    );
  }
  return alg;
}

/**
 * Whether a value is an algorithm's short name rather than its URI (for refusing short names
 * where only a URI is valid). @internal
 */
export function isShortAlgorithmName(value: string): boolean {
  return SIGNATURE_BY_NAME.has(value) && !SIGNATURE_BY_URI.has(value);
}

/**
 * Looks up a signature algorithm by short name or URI, exactly (an *option* value; for values
 * read from messages use {@link signatureAlgorithmByUri}).
 * @throws SamlError `SIGNATURE_ALGORITHM_UNSUPPORTED`
 * @internal
 */
export function signatureAlgorithm(nameOrUri: string): SignatureAlgorithm {
  const alg =
    typeof nameOrUri === 'string'
      ? (SIGNATURE_BY_URI.get(nameOrUri) ?? SIGNATURE_BY_NAME.get(nameOrUri))
      : undefined;
  if (!alg) {
    throw new SamlError('SIGNATURE_ALGORITHM_UNSUPPORTED', 'Unknown signature algorithm.', {
      expected: `one of ${Object.values(SIGNATURE_ALGORITHMS)
        .map((a) => a.name)
        .join(', ')}`,
      found: describeValue(nameOrUri),
      hint: 'HMAC and DSA signatures are never accepted; ask the IdP for RSA or ECDSA with SHA-256',
    });
  }
  return alg;
}

/**
 * Refuses SHA-1 unless the caller opted in.
 * @throws SamlError `SIGNATURE_ALGORITHM_FORBIDDEN`
 * @internal
 */
export function assertHashAllowed(hash: HashName, uri: string, allowSha1: boolean): void {
  if (hash === 'SHA-1' && !allowSha1) {
    throw new SamlError('SIGNATURE_ALGORITHM_FORBIDDEN', 'SHA-1 is refused by default.', {
      expected: 'a SHA-256, SHA-384 or SHA-512 based algorithm',
      found: uri,
      hint: 'configure the IdP to sign with SHA-256; if it cannot, set allowSha1: true (SHA-1 collisions are practical)',
    });
  }
}

/**
 * Looks up a digest algorithm by URI.
 * @throws SamlError `SIGNATURE_ALGORITHM_UNSUPPORTED`
 * @internal
 */
export function digestAlgorithm(uri: string): DigestAlgorithm {
  const alg = typeof uri === 'string' ? DIGEST_BY_URI.get(uri) : undefined;
  if (!alg) {
    throw new SamlError('SIGNATURE_ALGORITHM_UNSUPPORTED', 'Unknown digest algorithm.', {
      expected: `one of ${Object.keys(DIGEST_ALGORITHMS).join(', ')}`,
      found: describeValue(uri),
    });
  }
  return alg;
}
