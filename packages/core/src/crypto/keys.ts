import { describeValue, SamlError } from '../errors.js';
import { fromBase64, toHex } from '../lib/bytes.js';
import {
  children,
  content,
  DerError,
  encoding,
  expectTag,
  integer,
  oid,
  readOid,
  readString,
  readTime,
  readTlv,
  seq,
  TAG,
  type Tlv,
  tlv,
} from '../lib/der.js';
import type { HashName } from './algorithms.js';
import { type CryptoProvider, resolveCrypto } from './provider.js';

/** The curves samlkit supports for ECDSA. */
export type NamedCurve = 'P-256' | 'P-384' | 'P-521';

/** What an X.509 certificate says about itself (RFC 5280 §4.1). */
export interface CertificateInfo {
  /** The DER encoding of the whole certificate. */
  readonly der: Uint8Array;
  /** Subject distinguished name, e.g. `CN=idp.example.com, O=Example`. */
  readonly subject: string;
  /** Issuer distinguished name. */
  readonly issuer: string;
  /** Serial number, lower-case hex. */
  readonly serialNumber: string;
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity. */
  readonly notAfter: Date;
}

/**
 * A public key samlkit trusts, loaded from a certificate or a bare SubjectPublicKeyInfo.
 * Build one with {@link loadPublicKey}.
 */
export interface PublicKey {
  readonly kind: 'public';
  readonly keyType: 'RSA' | 'EC';
  /** The curve, for EC keys. */
  readonly namedCurve?: NamedCurve;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** The certificate the key came from, when it came from one. */
  readonly certificate?: CertificateInfo;
}

/** A private key (PKCS#8 inside). Build one with {@link loadPrivateKey}. */
export interface PrivateKey {
  readonly kind: 'private';
  readonly keyType: 'RSA' | 'EC';
  readonly namedCurve?: NamedCurve;
  /** DER PKCS#8 PrivateKeyInfo. */
  readonly pkcs8: Uint8Array;
}

/** rsaEncryption (RFC 8017 App. C). @internal */
export const OID_RSA = '1.2.840.113549.1.1.1';
/** id-ecPublicKey (RFC 5480). @internal */
export const OID_EC = '1.2.840.10045.2.1';
const CURVES: Record<string, NamedCurve> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};
/** OIDs of the supported curves (RFC 5480 §2.1.1.1). @internal */
export const CURVE_OIDS: Record<NamedCurve, string> = {
  'P-256': '1.2.840.10045.3.1.7',
  'P-384': '1.3.132.0.34',
  'P-521': '1.3.132.0.35',
};

/** One PEM block. */
export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/**
 * Splits PEM text into its blocks (RFC 7468).
 * @param text - PEM text, possibly with several blocks and surrounding comments
 * @returns every block in order
 */
export function parsePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    blocks.push({ label: m[1]!, der: fromBase64(m[2]!, `The PEM block "${m[1]}"`) });
  }
  return blocks;
}

function derFailure(code: 'CERT_INVALID' | 'KEY_INVALID', what: string, cause: unknown): SamlError {
  return new SamlError(code, `The ${what} could not be read.`, {
    expected: `a DER/PEM encoded ${what}`,
    found: cause instanceof Error ? cause.message : String(cause),
    hint: 'check that the whole PEM block was copied, including BEGIN/END lines',
    cause,
  });
}

/**
 * Reads an X.509 certificate's identifying fields and its SubjectPublicKeyInfo.
 * @param der - the certificate in DER
 * @returns the certificate info and the SPKI encoding
 * @throws SamlError `CERT_INVALID`
 */
export function parseCertificate(der: Uint8Array): { info: CertificateInfo; spki: Uint8Array } {
  try {
    const cert = expectTag(readTlv(der), TAG.SEQUENCE, 'Certificate');
    if (cert.end !== der.length) throw new DerError('trailing bytes after the certificate');
    const [tbs] = children(cert);
    const fields = children(expectTag(tbs, TAG.SEQUENCE, 'TBSCertificate'));
    let i = 0;
    if (fields[0]?.tag === 0xa0) i++; // [0] EXPLICIT version
    const serial = expectTag(fields[i++], TAG.INTEGER, 'serialNumber');
    i++; // signature AlgorithmIdentifier
    const issuer = expectTag(fields[i++], TAG.SEQUENCE, 'issuer');
    const validity = children(expectTag(fields[i++], TAG.SEQUENCE, 'validity'));
    const subject = expectTag(fields[i++], TAG.SEQUENCE, 'subject');
    const spki = expectTag(fields[i++], TAG.SEQUENCE, 'subjectPublicKeyInfo');
    return {
      info: {
        der: der.slice(),
        subject: readName(subject),
        issuer: readName(issuer),
        serialNumber: toHex(content(serial)).replace(/^(00)+(?=.)/, ''),
        notBefore: readTime(validity[0]!),
        notAfter: readTime(validity[1]!),
      },
      spki: encoding(spki).slice(),
    };
  } catch (cause) {
    if (cause instanceof SamlError) throw cause;
    throw derFailure('CERT_INVALID', 'X.509 certificate', cause);
  }
}

const RDN_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.25': 'DC',
};

function readName(name: Tlv): string {
  const parts: string[] = [];
  for (const rdn of children(name)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      const key = RDN_NAMES[readOid(type!)] ?? readOid(type!);
      parts.push(`${key}=${readString(value!)}`);
    }
  }
  return parts.reverse().join(', ');
}

function describeSpki(spki: Uint8Array): { keyType: 'RSA' | 'EC'; namedCurve?: NamedCurve } {
  const [algId] = children(expectTag(readTlv(spki), TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  return describeAlgorithmId(algId!);
}

function describeAlgorithmId(algId: Tlv): { keyType: 'RSA' | 'EC'; namedCurve?: NamedCurve } {
  const [algOid, params] = children(expectTag(algId, TAG.SEQUENCE, 'AlgorithmIdentifier'));
  const id = readOid(algOid!);
  if (id === OID_RSA) return { keyType: 'RSA' };
  if (id === OID_EC) {
    const curveOid = params?.tag === TAG.OID ? readOid(params) : '';
    const namedCurve = CURVES[curveOid];
    if (!namedCurve) {
      throw new SamlError('KEY_ALGORITHM_UNSUPPORTED', 'The EC key uses an unsupported curve.', {
        expected: 'P-256, P-384 or P-521',
        found: curveOid || 'no named curve',
      });
    }
    return { keyType: 'EC', namedCurve };
  }
  throw new SamlError('KEY_ALGORITHM_UNSUPPORTED', 'The key type is not supported.', {
    expected: 'an RSA or ECDSA (P-256/384/521) key',
    found: `algorithm OID ${id}`,
  });
}

/**
 * Loads a public key to trust: a PEM certificate, a PEM `PUBLIC KEY` (for IdPs that publish a
 * bare key), the base64 body of a certificate as metadata carries it, or DER bytes of either.
 *
 * @param input - PEM text, base64 DER, or DER bytes
 * @returns the key, with its certificate info when it came from a certificate
 * @throws SamlError `CERT_INVALID`, `KEY_INVALID`, `KEY_ALGORITHM_UNSUPPORTED`
 * @example Trusting an IdP certificate
 * ```ts
 * const idpKey = loadPublicKey(await readFile('idp-cert.pem', 'utf8'));
 * ```
 */
export function loadPublicKey(input: string | Uint8Array): PublicKey {
  const keys = loadPublicKeys(input);
  if (keys.length !== 1) {
    throw new SamlError('CERT_INVALID', 'Expected exactly one certificate or public key.', {
      expected: 'one certificate or public key',
      found: `${keys.length}`,
      hint: 'use loadPublicKeys for a file with several certificates',
    });
  }
  return keys[0]!;
}

/**
 * Loads every certificate or public key in a PEM text (or one from base64/DER).
 * @param input - PEM text with one or more blocks, base64 DER, or DER bytes
 * @returns the keys in order
 * @throws SamlError `CERT_INVALID`, `KEY_INVALID`, `KEY_ALGORITHM_UNSUPPORTED`
 */
export function loadPublicKeys(input: string | Uint8Array): PublicKey[] {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new TypeError('loadPublicKey: input must be a PEM/base64 string or DER bytes');
  }
  if (typeof input === 'string' && input.includes('-----BEGIN')) {
    const blocks = parsePem(input);
    const keys: PublicKey[] = [];
    for (const b of blocks) {
      if (b.label === 'CERTIFICATE') keys.push(fromCertificateDer(b.der));
      else if (b.label === 'PUBLIC KEY') keys.push(fromSpkiDer(b.der));
      else if (b.label === 'RSA PUBLIC KEY') keys.push(fromSpkiDer(wrapRsaPublicKey(b.der)));
    }
    if (keys.length === 0) {
      throw new SamlError('CERT_INVALID', 'No certificate or public key found in the PEM text.', {
        expected: 'a -----BEGIN CERTIFICATE----- or -----BEGIN PUBLIC KEY----- block',
        found: blocks.length ? `blocks ${blocks.map((b) => b.label).join(', ')}` : 'no PEM block',
        hint: 'a private key is not a trust anchor: give the IdP certificate',
      });
    }
    return keys;
  }
  const der = typeof input === 'string' ? fromBase64(input, 'The certificate') : input;
  // Bare DER: a certificate's first element is itself a SEQUENCE; an SPKI's is an AlgorithmIdentifier.
  try {
    const outer = children(expectTag(readTlv(der), TAG.SEQUENCE, 'DER'));
    const firstInner = outer[0] ? children(outer[0]) : [];
    const isCert = firstInner.length >= 6 || firstInner[0]?.tag === 0xa0;
    return [isCert ? fromCertificateDer(der) : fromSpkiDer(der)];
  } catch (cause) {
    if (cause instanceof SamlError) throw cause;
    throw derFailure('CERT_INVALID', 'certificate or public key', cause);
  }
}

function fromCertificateDer(der: Uint8Array): PublicKey {
  const { info, spki } = parseCertificate(der);
  return Object.freeze({ kind: 'public', ...describeSpki(spki), spki, certificate: info });
}

function fromSpkiDer(der: Uint8Array): PublicKey {
  try {
    return Object.freeze({ kind: 'public', ...describeSpki(der), spki: der.slice() });
  } catch (cause) {
    if (cause instanceof SamlError) throw cause;
    throw derFailure('KEY_INVALID', 'public key', cause);
  }
}

function wrapRsaPublicKey(pkcs1: Uint8Array): Uint8Array {
  const algId = seq(TAG.SEQUENCE, oid(OID_RSA), tlv(TAG.NULL, new Uint8Array(0)));
  return seq(TAG.SEQUENCE, algId, tlv(TAG.BIT_STRING, new Uint8Array([0, ...pkcs1])));
}

/**
 * Loads a private key from PEM: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1
 * (`EC PRIVATE KEY`). Encrypted keys must be decrypted first.
 *
 * @param input - PEM text
 * @returns the key
 * @throws SamlError `KEY_INVALID`, `KEY_ALGORITHM_UNSUPPORTED`
 */
export function loadPrivateKey(input: string): PrivateKey {
  if (typeof input !== 'string') throw new TypeError('loadPrivateKey: input must be PEM text');
  const block = parsePem(input).find((b) => b.label.endsWith('PRIVATE KEY'));
  if (!block) {
    throw new SamlError('KEY_INVALID', 'No private key found in the PEM text.', {
      expected: 'a -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY) block',
      found: describeValue(input.slice(0, 40)),
    });
  }
  if (block.label === 'ENCRYPTED PRIVATE KEY') {
    throw new SamlError('KEY_INVALID', 'The private key is encrypted.', {
      expected: 'an unencrypted PKCS#8 key',
      found: 'ENCRYPTED PRIVATE KEY',
      hint: 'decrypt it first, e.g. openssl pkcs8 -in key.pem -out plain.pem',
    });
  }
  try {
    if (block.label === 'RSA PRIVATE KEY') {
      const algId = seq(TAG.SEQUENCE, oid(OID_RSA), tlv(TAG.NULL, new Uint8Array(0)));
      return pkcs8Key(seq(TAG.SEQUENCE, integer(0), algId, tlv(TAG.OCTET_STRING, block.der)));
    }
    if (block.label === 'EC PRIVATE KEY') {
      // SEC1 ECPrivateKey (RFC 5915 §3): the curve is in [0] parameters.
      const fields = children(expectTag(readTlv(block.der), TAG.SEQUENCE, 'ECPrivateKey'));
      const params = fields.find((f) => f.tag === 0xa0);
      const curveOid = params ? readOid(children(params)[0]!) : '';
      if (!CURVES[curveOid]) throw new DerError(`unsupported or missing EC curve ${curveOid}`);
      const algId = seq(TAG.SEQUENCE, oid(OID_EC), oid(curveOid));
      return pkcs8Key(seq(TAG.SEQUENCE, integer(0), algId, tlv(TAG.OCTET_STRING, block.der)));
    }
    return pkcs8Key(block.der);
  } catch (cause) {
    if (cause instanceof SamlError) throw cause;
    throw derFailure('KEY_INVALID', 'private key', cause);
  }
}

function pkcs8Key(der: Uint8Array): PrivateKey {
  const fields = children(expectTag(readTlv(der), TAG.SEQUENCE, 'PrivateKeyInfo'));
  return Object.freeze({ kind: 'private', ...describeAlgorithmId(fields[1]!), pkcs8: der.slice() });
}

/** What a key will be used for: a WebCrypto algorithm with its hash. @internal */
export type KeyUse =
  | { readonly name: 'RSASSA-PKCS1-v1_5'; readonly hash: HashName }
  | { readonly name: 'ECDSA'; readonly hash: HashName }
  | { readonly name: 'RSA-OAEP'; readonly hash: HashName };

/** Imported keys per provider (a provider's CryptoKeys need not work with another), per key. */
const importCache = new WeakMap<CryptoProvider, WeakMap<object, Map<string, Promise<CryptoKey>>>>();

function cached(
  owner: object,
  provider: CryptoProvider,
  use: KeyUse,
  make: () => Promise<CryptoKey>,
): Promise<CryptoKey> {
  let byOwner = importCache.get(provider);
  if (!byOwner) {
    byOwner = new WeakMap();
    importCache.set(provider, byOwner);
  }
  let byUse = byOwner.get(owner);
  if (!byUse) {
    byUse = new Map();
    byOwner.set(owner, byUse);
  }
  const k = `${use.name}/${use.hash}`;
  let p = byUse.get(k);
  if (!p) {
    p = make();
    byUse.set(k, p);
    p.catch(() => byUse.delete(k));
  }
  return p;
}

function importParams(
  key: PublicKey | PrivateKey,
  use: KeyUse,
): RsaHashedImportParams | EcKeyImportParams {
  const wantType = use.name === 'ECDSA' ? 'EC' : 'RSA';
  if (key.keyType !== wantType) {
    throw new SamlError('KEY_ALGORITHM_UNSUPPORTED', 'The key does not fit the algorithm.', {
      expected: `an ${wantType} key for ${use.name}`,
      found: `an ${key.keyType} key`,
      hint: 'the configured certificate and the algorithm the message names must agree',
    });
  }
  return use.name === 'ECDSA'
    ? { name: 'ECDSA', namedCurve: key.namedCurve! }
    : { name: use.name, hash: use.hash };
}

/**
 * Imports a trusted public key into WebCrypto for one use. Imports are cached per key and use,
 * so verifying many messages never re-parses the key.
 * @internal
 */
export function importPublicKey(
  key: PublicKey,
  use: KeyUse,
  crypto?: CryptoProvider,
): Promise<CryptoKey> {
  const usage: KeyUsage = use.name === 'RSA-OAEP' ? 'encrypt' : 'verify';
  return importOnce(key, use, crypto, 'spki', key.spki, usage, 'public key');
}

/**
 * Imports a private key into WebCrypto for one use (signing or decryption). Cached per key and use.
 * @internal
 */
export function importPrivateKey(
  key: PrivateKey,
  use: KeyUse,
  crypto?: CryptoProvider,
): Promise<CryptoKey> {
  const usage: KeyUsage = use.name === 'RSA-OAEP' ? 'decrypt' : 'sign';
  return importOnce(key, use, crypto, 'pkcs8', key.pkcs8, usage, 'private key');
}

/** Imports a key's DER (SPKI or PKCS#8) into WebCrypto for one use, once per key, provider and use. */
function importOnce(
  key: PublicKey | PrivateKey,
  use: KeyUse,
  crypto: CryptoProvider | undefined,
  format: 'spki' | 'pkcs8',
  der: Uint8Array,
  usage: KeyUsage,
  what: string,
): Promise<CryptoKey> {
  const provider = resolveCrypto(crypto);
  return cached(key, provider, use, async () => {
    const params = importParams(key, use);
    try {
      return await provider.subtle.importKey(format, der as BufferSource, params, false, [usage]);
    } catch (cause) {
      throw derFailure('KEY_INVALID', what, cause);
    }
  });
}

/**
 * The fingerprint of DER bytes (a certificate, usually), as upper-case hex pairs joined by `:`.
 * @param der - the bytes to hash
 * @param hash - the hash (default SHA-256)
 * @param crypto - the WebCrypto provider
 * @returns e.g. `AB:CD:…`
 */
export async function fingerprint(
  der: Uint8Array,
  hash: HashName = 'SHA-256',
  crypto?: CryptoProvider,
): Promise<string> {
  const digest = await resolveCrypto(crypto).subtle.digest(hash, der as BufferSource);
  return toHex(new Uint8Array(digest), ':').toUpperCase();
}
