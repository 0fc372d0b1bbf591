import { type SignatureAlgorithmName, signatureAlgorithm } from '../crypto/algorithms.js';
import type { PrivateKey, PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { concatBytes, fromBase64, fromUtf8, toBase64, utf8 } from '../lib/bytes.js';
import { defaultSignatureAlgorithm, signBytes, verifyBytes } from '../signature/raw.js';
import { decodePost } from './post.js';
import type { SamlMessageType } from './redirect.js';

/** A SimpleSign message as received, from {@link decodeSimpleSign}. Same shape as a decoded Redirect. */
export interface DecodedSimpleSign {
  readonly type: SamlMessageType;
  /** The message XML (base64-decoded form value). */
  readonly xml: string;
  readonly relayState: string | undefined;
  /** The SigAlg URI, or undefined when the form is unsigned. */
  readonly sigAlg: string | undefined;
  /** The signature bytes, or undefined when unsigned. */
  readonly signature: Uint8Array | undefined;
  /** `SAMLRequest=<xml>&RelayState=<rs>&SigAlg=<uri>` as octets, or undefined when unsigned. */
  readonly signedOctets: Uint8Array | undefined;
}

/** Options of {@link encodeSimpleSign}. */
export interface EncodeSimpleSignOptions {
  readonly type: SamlMessageType;
  /** The message XML; it should not carry an enveloped signature as well. */
  readonly xml: string;
  readonly relayState?: string;
  readonly sign: { readonly key: PrivateKey; readonly algorithm?: SignatureAlgorithmName };
  readonly crypto?: CryptoProvider;
}

/** Options of {@link verifySimpleSignSignature}. */
export interface VerifySimpleSignOptions {
  /** The trusted keys of the peer (from its metadata); a `KeyInfo` form field is never used. */
  readonly keys: readonly PublicKey[];
  /** **Dangerous**: accept rsa-sha1 / ecdsa-sha1. */
  readonly allowSha1?: boolean;
  readonly crypto?: CryptoProvider;
}

/**
 * The octets a SimpleSign signature covers: `SAMLRequest=<XML>&RelayState=<RelayState>&SigAlg=<URI>`
 * where the message is the XML itself (the base64-decoded form value, so line breaks a browser adds
 * to the base64 text do not matter) and no value is URL-encoded.
 */
function signedOctetsOf(
  type: SamlMessageType,
  xmlBytes: Uint8Array,
  relayState: string | undefined,
  sigAlg: string,
): Uint8Array {
  return concatBytes(
    utf8(`${type}=`),
    xmlBytes,
    utf8(`${relayState !== undefined ? `&RelayState=${relayState}` : ''}&SigAlg=${sigAlg}`),
  );
}

/**
 * Encodes a message for HTTP-POST-SimpleSign: the form fields to post (`SAMLRequest` or
 * `SAMLResponse`, `RelayState`, `SigAlg`, `Signature`), signed over the raw XML.
 *
 * @param options - message type, XML, RelayState and signing key
 * @returns the form fields, base64 where the binding says so
 * @throws SamlError `SIGNATURE_ALGORITHM_UNSUPPORTED` when the algorithm does not fit the key
 * @example Building the fields of a signed LogoutResponse
 * ```ts
 * const fields = await encodeSimpleSign({ type: 'SAMLResponse', xml, sign: { key } });
 * ```
 * @see SAML HTTP-POST-SimpleSign binding (OASIS CS 01) §2.2–§2.5
 */
export async function encodeSimpleSign(
  options: EncodeSimpleSignOptions,
): Promise<Readonly<Record<string, string>>> {
  if (!options || typeof options.xml !== 'string' || options.xml === '') {
    throw new TypeError('encodeSimpleSign: options.xml must be a non-empty string');
  }
  if (options.type !== 'SAMLRequest' && options.type !== 'SAMLResponse') {
    throw new TypeError("encodeSimpleSign: type must be 'SAMLRequest' or 'SAMLResponse'");
  }
  const { key } = options.sign;
  const alg = signatureAlgorithm(options.sign.algorithm ?? defaultSignatureAlgorithm(key));
  if (alg.keyType !== key.keyType) {
    throw new SamlError('SIGNATURE_ALGORITHM_UNSUPPORTED', 'The algorithm does not fit the key.', {
      expected: `a ${key.keyType} algorithm for this ${key.keyType} key`,
      found: alg.name,
    });
  }
  const xmlBytes = utf8(options.xml);
  const octets = signedOctetsOf(options.type, xmlBytes, options.relayState, alg.uri);
  const signature = await signBytes(octets, key, alg, options.crypto);
  return {
    [options.type]: toBase64(xmlBytes),
    ...(options.relayState !== undefined ? { RelayState: options.relayState } : {}),
    SigAlg: alg.uri,
    Signature: toBase64(signature),
  };
}

/**
 * Decodes a posted form that may be an HTTP-POST-SimpleSign message. Without `SigAlg` and
 * `Signature` it is an unsigned POST message (whose XML may still carry an enveloped signature).
 *
 * @param form - the form fields, already form-decoded by the web framework
 * @param options - `maxBytes`, the largest decoded message accepted (default 1 MiB)
 * @returns the type, XML, RelayState, algorithm, signature and the signed octets
 * @throws SamlError `BINDING_INVALID` (both or neither message fields, SigAlg without Signature),
 *   `BASE64_INVALID`, `XML_TOO_LARGE`
 * @example At an SLO endpoint that accepts SimpleSign
 * ```ts
 * const decoded = decodeSimpleSign(Object.fromEntries(await request.formData()));
 * await verifySimpleSignSignature(decoded, { keys: idp.signingKeys });
 * ```
 * @see SAML HTTP-POST-SimpleSign binding (OASIS CS 01) §2.3–§2.5
 */
export function decodeSimpleSign(
  form: Readonly<Record<string, string | undefined>>,
  options: { readonly maxBytes?: number } = {},
): DecodedSimpleSign {
  if (!form || typeof form !== 'object')
    throw new TypeError('decodeSimpleSign: form must be an object');
  const req = form.SAMLRequest;
  const res = form.SAMLResponse;
  if ((req === undefined) === (res === undefined)) {
    throw new SamlError('BINDING_INVALID', 'The form does not carry exactly one SAML message.', {
      expected: 'exactly one of SAMLRequest or SAMLResponse',
      found: req === undefined ? 'neither' : 'both',
    });
  }
  const type: SamlMessageType = req !== undefined ? 'SAMLRequest' : 'SAMLResponse';
  const value = (req ?? res)!;
  const xml = decodePost(
    value,
    options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {},
  );
  const relayState = form.RelayState;
  const sigAlg = form.SigAlg;
  const sigText = form.Signature;
  if ((sigAlg === undefined) !== (sigText === undefined)) {
    throw new SamlError(
      'BINDING_INVALID',
      'The form has a signature algorithm without a signature, or the reverse.',
      {
        expected: 'both SigAlg and Signature, or neither (SimpleSign binding §2.3)',
        found: sigAlg === undefined ? 'Signature only' : 'SigAlg only',
      },
    );
  }
  if (sigAlg === undefined || sigText === undefined) {
    return {
      type,
      xml,
      relayState,
      sigAlg: undefined,
      signature: undefined,
      signedOctets: undefined,
    };
  }
  const signature = fromBase64(sigText.replace(/[\r\n\t ]+/g, ''), 'The Signature field');
  // The XML bytes exactly as decoded, not re-encoded from the string.
  const xmlBytes = fromBase64(value.replace(/[\r\n\t ]+/g, ''), `The ${type} field`);
  if (fromUtf8(xmlBytes) !== xml) {
    throw new SamlError('BINDING_INVALID', 'The message field decodes inconsistently.', {
      expected: 'UTF-8 XML',
      found: describeValue(xml.slice(0, 40)),
    });
  }
  return {
    type,
    xml,
    relayState,
    sigAlg,
    signature,
    signedOctets: signedOctetsOf(type, xmlBytes, relayState, sigAlg),
  };
}

/**
 * Verifies the signature of a SimpleSign message against the peer's configured keys.
 *
 * @param decoded - the result of {@link decodeSimpleSign}
 * @param options - the trusted keys; `allowSha1` (dangerous)
 * @returns the configured key that verified the signature
 * @throws SamlError `SIGNATURE_MISSING` (unsigned), `SIGNATURE_ALGORITHM_UNSUPPORTED`,
 *   `SIGNATURE_ALGORITHM_FORBIDDEN`, `SIGNATURE_KEY_UNTRUSTED`, `SIGNATURE_INVALID`
 * @example Requiring a signed SimpleSign form
 * ```ts
 * const key = await verifySimpleSignSignature(decoded, { keys: idp.signingKeys });
 * ```
 * @see SAML HTTP-POST-SimpleSign binding (OASIS CS 01) §2.5
 */
export async function verifySimpleSignSignature(
  decoded: DecodedSimpleSign,
  options: VerifySimpleSignOptions,
): Promise<PublicKey> {
  if (!options || !Array.isArray(options.keys)) {
    throw new TypeError('verifySimpleSignSignature: options.keys must be an array of public keys');
  }
  if (!decoded.sigAlg || !decoded.signature || !decoded.signedOctets) {
    throw new SamlError('SIGNATURE_MISSING', `The ${decoded.type} form is not signed.`, {
      expected: 'SigAlg and Signature form fields (SimpleSign binding §2.3)',
      found: 'an unsigned form',
      hint: 'configure the IdP to sign its messages',
    });
  }
  return verifyBytes(decoded.signedOctets, decoded.signature, decoded.sigAlg, {
    keys: options.keys,
    allowSha1: options.allowSha1 ?? false,
    ...(options.crypto !== undefined ? { crypto: options.crypto } : {}),
  });
}
