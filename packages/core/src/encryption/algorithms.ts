// XML Encryption algorithms samlkit can decrypt and produce, and the ones it refuses with a reason.
// Everything runs on WebCrypto, which decides what is possible: RSA-OAEP only with the same hash
// for the OAEP digest and MGF1, AES-CBC and AES-GCM with 128/192/256-bit keys.

import { type HashName, ownValue } from '../crypto/algorithms.js';
import { describeValue, SamlError } from '../errors.js';
import { fromBase64 } from '../lib/bytes.js';
import { attr, childElements, NS, optionalChild } from '../lib/xml.js';

const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const XENC11 = 'http://www.w3.org/2009/xmlenc11#';
const DSIG_MORE = 'http://www.w3.org/2001/04/xmldsig-more#';

/** Short names of the content (data) encryption algorithms samlkit supports. */
export type DataEncryptionAlgorithmName =
  | 'aes128-cbc'
  | 'aes192-cbc'
  | 'aes256-cbc'
  | 'aes128-gcm'
  | 'aes192-gcm'
  | 'aes256-gcm';

/** A block cipher for the encrypted content (XML-Enc 1.1 §5.2). */
export interface DataEncryptionAlgorithm {
  /** The algorithm URI in `xenc:EncryptionMethod/@Algorithm`. */
  readonly uri: string;
  /** The short name, e.g. `aes256-gcm`. */
  readonly name: DataEncryptionAlgorithmName;
  /** The WebCrypto mode. */
  readonly mode: 'AES-CBC' | 'AES-GCM';
  /** The key length in bytes. */
  readonly keyLength: 16 | 24 | 32;
  /** The IV length in bytes that precedes the ciphertext (16 for CBC, 12 for GCM). */
  readonly ivLength: 16 | 12;
}

function dataAlg(
  uri: string,
  name: DataEncryptionAlgorithmName,
  mode: 'AES-CBC' | 'AES-GCM',
  keyLength: 16 | 24 | 32,
): DataEncryptionAlgorithm {
  return Object.freeze({ uri, name, mode, keyLength, ivLength: mode === 'AES-CBC' ? 16 : 12 });
}

/**
 * Content encryption algorithms by URI: AES-CBC (XML-Enc 1.1 §5.2.2) and AES-GCM
 * (XML-Enc 1.1 §5.2.4). GCM is authenticated and preferred; CBC is what most IdPs still send.
 */
export const DATA_ENCRYPTION_ALGORITHMS: Readonly<Record<string, DataEncryptionAlgorithm>> =
  Object.freeze({
    [`${XENC}aes128-cbc`]: dataAlg(`${XENC}aes128-cbc`, 'aes128-cbc', 'AES-CBC', 16),
    [`${XENC}aes192-cbc`]: dataAlg(`${XENC}aes192-cbc`, 'aes192-cbc', 'AES-CBC', 24),
    [`${XENC}aes256-cbc`]: dataAlg(`${XENC}aes256-cbc`, 'aes256-cbc', 'AES-CBC', 32),
    [`${XENC11}aes128-gcm`]: dataAlg(`${XENC11}aes128-gcm`, 'aes128-gcm', 'AES-GCM', 16),
    [`${XENC11}aes192-gcm`]: dataAlg(`${XENC11}aes192-gcm`, 'aes192-gcm', 'AES-GCM', 24),
    [`${XENC11}aes256-gcm`]: dataAlg(`${XENC11}aes256-gcm`, 'aes256-gcm', 'AES-GCM', 32),
  });

/** Short names of the key transport algorithms samlkit supports. */
export type KeyTransportAlgorithmName = 'rsa-oaep-mgf1p' | 'rsa-oaep';

/** Key transport URIs by short name (XML-Enc 1.1 §5.5.2). */
export const KEY_TRANSPORT_ALGORITHMS: Readonly<Record<KeyTransportAlgorithmName, string>> =
  Object.freeze({
    'rsa-oaep-mgf1p': `${XENC}rsa-oaep-mgf1p`,
    'rsa-oaep': `${XENC11}rsa-oaep`,
  });

/** The OAEP digest, by short name. */
export type OaepDigestName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** The OAEP mask generation function, by short name (XML-Enc 1.1 §5.5.2). */
export type MgfName = 'mgf1sha1' | 'mgf1sha256' | 'mgf1sha384' | 'mgf1sha512';

const OAEP_DIGESTS: Readonly<Record<OaepDigestName, { uri: string; hash: HashName }>> = {
  sha1: { uri: 'http://www.w3.org/2000/09/xmldsig#sha1', hash: 'SHA-1' },
  sha256: { uri: `${XENC}sha256`, hash: 'SHA-256' },
  sha384: { uri: `${DSIG_MORE}sha384`, hash: 'SHA-384' },
  sha512: { uri: `${XENC}sha512`, hash: 'SHA-512' },
};

const MGFS: Readonly<Record<MgfName, { uri: string; hash: HashName }>> = {
  mgf1sha1: { uri: `${XENC11}mgf1sha1`, hash: 'SHA-1' },
  mgf1sha256: { uri: `${XENC11}mgf1sha256`, hash: 'SHA-256' },
  mgf1sha384: { uri: `${XENC11}mgf1sha384`, hash: 'SHA-384' },
  mgf1sha512: { uri: `${XENC11}mgf1sha512`, hash: 'SHA-512' },
};

/** What to tell the IdP administrator, in one place for every refusal. */
const IDP_SETTINGS =
  'configure the IdP to use key transport RSA-OAEP (xmlenc#rsa-oaep-mgf1p, or xmlenc11#rsa-oaep with the same digest and MGF1 hash) and content encryption AES-256-GCM or AES-256-CBC; see docs/encryption.md for ADFS, Entra ID, Okta and Keycloak';

/**
 * Algorithms samlkit refuses on purpose, with the reason. They are either broken or impossible on
 * WebCrypto in every runtime (measured on Node, Deno, Bun, workerd and Chromium).
 */
export const REFUSED_ENCRYPTION_ALGORITHMS: Readonly<Record<string, string>> = Object.freeze({
  [`${XENC}rsa-1_5`]:
    'RSA PKCS#1 v1.5 key transport is open to padding-oracle attacks (Bleichenbacher 1998; against XML Encryption: Jager, Schinzel, Somorovsky 2012), and WebCrypto does not offer it for decryption',
  [`${XENC}tripledes-cbc`]:
    'Triple-DES has a 64-bit block (Sweet32) and WebCrypto does not implement it',
  [`${XENC}kw-aes128`]:
    'AES key wrap needs a secret shared with the IdP; samlkit decrypts with its RSA key pair only',
  [`${XENC}kw-aes192`]:
    'AES key wrap needs a secret shared with the IdP; samlkit decrypts with its RSA key pair only',
  [`${XENC}kw-aes256`]:
    'AES key wrap needs a secret shared with the IdP; samlkit decrypts with its RSA key pair only',
  [`${XENC}kw-tripledes`]: 'Triple-DES key wrap is obsolete and not in WebCrypto',
  [`${XENC11}mgf1sha224`]: 'WebCrypto has no SHA-224',
});

function unsupported(what: string, found: string, reason: string): SamlError {
  return new SamlError(
    'ENCRYPTION_ALGORITHM_UNSUPPORTED',
    `The IdP encrypted with an algorithm samlkit refuses (${what}).`,
    { expected: `a supported ${what}`, found: `${found} — ${reason}`, hint: IDP_SETTINGS },
  );
}

/**
 * Looks up a content encryption algorithm by URI.
 * @throws SamlError `ENCRYPTION_ALGORITHM_UNSUPPORTED`
 * @internal
 */
export function dataEncryptionAlgorithm(uri: string | undefined): DataEncryptionAlgorithm {
  const alg = uri === undefined ? undefined : ownValue(DATA_ENCRYPTION_ALGORITHMS, uri);
  if (alg) return alg;
  const reason =
    uri === undefined
      ? 'the EncryptedData names no EncryptionMethod, so the cipher is unknown'
      : (ownValue(REFUSED_ENCRYPTION_ALGORITHMS, uri) ?? 'not an algorithm samlkit implements');
  throw unsupported('content encryption algorithm', describeValue(uri), reason);
}

/**
 * Looks up a content encryption algorithm by short name (for encryption).
 * @internal
 */
export function dataEncryptionAlgorithmByName(name: string): DataEncryptionAlgorithm | undefined {
  return Object.values(DATA_ENCRYPTION_ALGORITHMS).find((a) => a.name === name);
}

/** The WebCrypto RSA-OAEP parameters an `xenc:EncryptedKey` asks for. @internal */
export interface OaepParameters {
  readonly uri: string;
  /** The OAEP digest, which WebCrypto also uses for MGF1. */
  readonly hash: HashName;
  /** The OAEP label (`xenc:OAEPparams`), when present. */
  readonly label?: Uint8Array<ArrayBuffer>;
}

/**
 * Reads the key transport algorithm of an `xenc:EncryptedKey/xenc:EncryptionMethod` and turns it
 * into WebCrypto RSA-OAEP parameters.
 *
 * XML-Enc 1.1 §5.5.2: `xmlenc#rsa-oaep-mgf1p` always uses MGF1 with SHA-1, its ds:DigestMethod
 * defaults to SHA-1; `xmlenc11#rsa-oaep` names both (defaults SHA-1 and mgf1sha1). WebCrypto uses
 * one hash for both, so only equal pairs are possible. `xenc:OAEPparams` is the base64 label.
 *
 * @throws SamlError `ENCRYPTION_ALGORITHM_UNSUPPORTED`, `BASE64_INVALID`
 * @internal
 */
export function keyTransportParameters(method: Element | undefined): OaepParameters {
  const uri = method ? attr(method, 'Algorithm') : undefined;
  if (
    uri !== KEY_TRANSPORT_ALGORITHMS['rsa-oaep-mgf1p'] &&
    uri !== KEY_TRANSPORT_ALGORITHMS['rsa-oaep']
  ) {
    const reason =
      uri === undefined
        ? 'the EncryptedKey names no EncryptionMethod'
        : (ownValue(REFUSED_ENCRYPTION_ALGORITHMS, uri) ??
          'not a key transport samlkit implements');
    throw unsupported('key transport algorithm', describeValue(uri), reason);
  }
  const digestEl = optionalChild(method!, NS.ds, 'DigestMethod');
  const digestUri = digestEl ? attr(digestEl, 'Algorithm') : OAEP_DIGESTS.sha1.uri;
  const digest = Object.values(OAEP_DIGESTS).find((d) => d.uri === digestUri);
  if (!digest) {
    throw unsupported(
      'OAEP digest',
      `${uri} with DigestMethod ${describeValue(digestUri)}`,
      'WebCrypto offers SHA-1, SHA-256, SHA-384 and SHA-512 only',
    );
  }
  let mgfHash: HashName = 'SHA-1';
  if (uri === KEY_TRANSPORT_ALGORITHMS['rsa-oaep']) {
    const mgfEl = optionalChild(method!, NS.xenc11, 'MGF');
    const mgfUri = mgfEl ? attr(mgfEl, 'Algorithm') : MGFS.mgf1sha1.uri;
    const mgf = Object.values(MGFS).find((m) => m.uri === mgfUri);
    if (!mgf) {
      throw unsupported(
        'OAEP mask generation function',
        `${uri} with MGF ${describeValue(mgfUri)}`,
        (mgfUri && ownValue(REFUSED_ENCRYPTION_ALGORITHMS, mgfUri)) ??
          'WebCrypto offers MGF1 with SHA-1, SHA-256, SHA-384 or SHA-512 only',
      );
    }
    mgfHash = mgf.hash;
  }
  if (digest.hash !== mgfHash) {
    throw unsupported(
      'OAEP digest/MGF pair',
      `${uri} with digest ${digest.hash} and MGF1-${mgfHash}`,
      'WebCrypto RSA-OAEP uses one hash for both the digest and MGF1, so a mixed pair cannot be decrypted',
    );
  }
  const paramsEls = childElements(method!, NS.xenc, 'OAEPparams');
  if (paramsEls.length > 1) {
    throw unsupported('key transport algorithm', `${uri} with several OAEPparams`, 'malformed');
  }
  const label = paramsEls[0]
    ? fromBase64(paramsEls[0].textContent ?? '', 'The OAEPparams value')
    : undefined;
  return label ? { uri, hash: digest.hash, label } : { uri, hash: digest.hash };
}

/**
 * The XML-Enc URIs for encrypting with the given key transport options.
 * @throws SamlError `ENCRYPTION_ALGORITHM_UNSUPPORTED` for a pair WebCrypto cannot do
 * @internal
 */
export function keyTransportDescription(
  keyTransport: KeyTransportAlgorithmName,
  digest: OaepDigestName | undefined,
  mgf: MgfName | undefined,
): { uri: string; hash: HashName; digestUri?: string; mgfUri?: string } {
  const uri = ownValue(KEY_TRANSPORT_ALGORITHMS, keyTransport);
  if (!uri) throw new TypeError(`encryptElement: unknown keyTransport ${String(keyTransport)}`);
  const d = ownValue(OAEP_DIGESTS, digest ?? (keyTransport === 'rsa-oaep' ? 'sha256' : 'sha1'));
  if (!d) throw new TypeError(`encryptElement: unknown digest ${String(digest)}`);
  if (keyTransport === 'rsa-oaep-mgf1p') {
    if (mgf !== undefined) {
      throw new TypeError('encryptElement: rsa-oaep-mgf1p always uses MGF1-SHA1; omit mgf');
    }
    if (d.hash !== 'SHA-1') {
      throw unsupported(
        'OAEP digest/MGF pair',
        `${uri} with digest ${d.hash} and MGF1-SHA-1`,
        'WebCrypto RSA-OAEP uses one hash for both the digest and MGF1',
      );
    }
    return digest === undefined ? { uri, hash: d.hash } : { uri, hash: d.hash, digestUri: d.uri };
  }
  const m = MGFS[mgf ?? (`mgf1${digest ?? 'sha256'}` as MgfName)];
  if (!m) throw new TypeError(`encryptElement: unknown mgf ${String(mgf)}`);
  if (m.hash !== d.hash) {
    throw unsupported(
      'OAEP digest/MGF pair',
      `${uri} with digest ${d.hash} and MGF1-${m.hash}`,
      'WebCrypto RSA-OAEP uses one hash for both the digest and MGF1',
    );
  }
  return { uri, hash: d.hash, digestUri: d.uri, mgfUri: m.uri };
}
