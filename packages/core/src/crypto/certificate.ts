import { SamlError } from '../errors.js';
import { toBase64 } from '../lib/bytes.js';
import { integer, oid, seq, TAG, tlv } from '../lib/der.js';
import { loadPrivateKey, loadPublicKey, type PrivateKey, type PublicKey } from './keys.js';
import { type CryptoProvider, resolveCrypto } from './provider.js';

/** Key algorithms for generated SP keys. */
export type GeneratedKeyAlgorithm = 'rsa2048' | 'rsa3072' | 'p256';

/** Options for {@link createSelfSignedCertificate}. */
export interface SelfSignedCertificateOptions {
  /** Subject common name, e.g. `app.example.com`. */
  readonly subject: string;
  /** Validity in days from `now`. */
  readonly days: number;
  /** Key algorithm (default rsa2048). */
  readonly alg?: GeneratedKeyAlgorithm;
  /** Start of validity (default: the current time). */
  readonly now?: Date;
  readonly crypto?: CryptoProvider;
}

/** A generated key pair with its certificate, as PEM and as loaded keys. */
export interface GeneratedCertificate {
  readonly privateKeyPem: string;
  readonly certificatePem: string;
  readonly privateKey: PrivateKey;
  readonly publicKey: PublicKey;
}

/** Wraps DER in PEM armour with 64-character lines (RFC 7468). */
export function toPem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der).replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function time(d: Date): Uint8Array {
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const y = d.getUTCFullYear();
  return y < 2050
    ? tlv(TAG.UTCTime, new TextEncoder().encode(`${iso.slice(2)}Z`))
    : tlv(TAG.GeneralizedTime, new TextEncoder().encode(`${iso}Z`));
}

function name(cn: string): Uint8Array {
  const atv = seq(TAG.SEQUENCE, oid('2.5.4.3'), tlv(TAG.UTF8String, new TextEncoder().encode(cn)));
  return seq(TAG.SEQUENCE, seq(TAG.SET, atv));
}

/** Raw r‖s (WebCrypto) to DER Ecdsa-Sig-Value (RFC 3279 §2.2.3). */
function ecdsaDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  return seq(TAG.SEQUENCE, integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}

/**
 * Generates a key pair and a self-signed X.509 v3 certificate for it, on WebCrypto. SAML uses
 * certificates only as key containers, so self-signed is what SPs normally publish.
 *
 * @param options - subject CN, validity, key algorithm
 * @returns PEM texts and loaded keys
 * @throws SamlError `CONFIG_INVALID` for a bad subject or validity
 * @example
 * ```ts
 * const { privateKeyPem, certificatePem } = await createSelfSignedCertificate({ subject: 'sp.example.com', days: 730 });
 * ```
 */
export async function createSelfSignedCertificate(
  options: SelfSignedCertificateOptions,
): Promise<GeneratedCertificate> {
  const { subject, days } = options;
  if (typeof subject !== 'string' || subject.trim() === '' || !Number.isFinite(days) || days <= 0) {
    throw new SamlError('CONFIG_INVALID', 'Invalid certificate parameters.', {
      expected: 'a non-empty subject and a positive number of days',
      found: `subject ${JSON.stringify(subject)}, days ${days}`,
    });
  }
  const provider = resolveCrypto(options.crypto);
  const alg = options.alg ?? 'rsa2048';
  const isEc = alg === 'p256';
  const genParams = isEc
    ? { name: 'ECDSA', namedCurve: 'P-256' }
    : {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: alg === 'rsa3072' ? 3072 : 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      };
  const pair = (await provider.subtle.generateKey(genParams, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const spki = new Uint8Array(await provider.subtle.exportKey('spki', pair.publicKey));
  const pkcs8 = new Uint8Array(await provider.subtle.exportKey('pkcs8', pair.privateKey));

  const sigAlgId = isEc
    ? seq(TAG.SEQUENCE, oid('1.2.840.10045.4.3.2')) // ecdsa-with-SHA256
    : seq(TAG.SEQUENCE, oid('1.2.840.113549.1.1.11'), tlv(TAG.NULL, new Uint8Array(0))); // sha256WithRSA
  const serial = provider.getRandomValues(new Uint8Array(16));
  serial[0]! &= 0x7f;
  serial[0]! |= 0x01;
  const notBefore = options.now ?? new Date();
  const notAfter = new Date(notBefore.getTime() + days * 86_400_000);
  // Extensions: basicConstraints CA:FALSE (critical), keyUsage digitalSignature|keyEncipherment.
  const basicConstraints = seq(
    TAG.SEQUENCE,
    oid('2.5.29.19'),
    tlv(TAG.BOOLEAN, new Uint8Array([0xff])),
    tlv(TAG.OCTET_STRING, seq(TAG.SEQUENCE)),
  );
  const keyUsage = seq(
    TAG.SEQUENCE,
    oid('2.5.29.15'),
    tlv(TAG.BOOLEAN, new Uint8Array([0xff])),
    tlv(TAG.OCTET_STRING, tlv(TAG.BIT_STRING, new Uint8Array([isEc ? 7 : 5, isEc ? 0x80 : 0xa0]))),
  );
  const tbs = seq(
    TAG.SEQUENCE,
    seq(0xa0, integer(2)),
    integer(serial),
    sigAlgId,
    name(subject),
    seq(TAG.SEQUENCE, time(notBefore), time(notAfter)),
    name(subject),
    spki,
    seq(0xa3, seq(TAG.SEQUENCE, basicConstraints, keyUsage)),
  );
  const signParams = isEc ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  let signature = new Uint8Array(
    await provider.subtle.sign(signParams, pair.privateKey, tbs as BufferSource),
  );
  if (isEc) signature = ecdsaDer(signature) as Uint8Array<ArrayBuffer>;
  const cert = seq(
    TAG.SEQUENCE,
    tbs,
    sigAlgId,
    tlv(TAG.BIT_STRING, new Uint8Array([0, ...signature])),
  );
  const privateKeyPem = toPem('PRIVATE KEY', pkcs8);
  const certificatePem = toPem('CERTIFICATE', cert);
  return {
    privateKeyPem,
    certificatePem,
    privateKey: loadPrivateKey(privateKeyPem),
    publicKey: loadPublicKey(certificatePem),
  };
}
