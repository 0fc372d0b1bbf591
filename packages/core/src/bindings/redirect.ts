import {
  type SignatureAlgorithm,
  type SignatureAlgorithmName,
  signatureAlgorithm,
} from '../crypto/algorithms.js';
import type { PrivateKey, PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { fromBase64, fromUtf8, toBase64, utf8 } from '../lib/bytes.js';
import { DEFAULT_MAX_INFLATED_BYTES, deflateRaw, inflateRaw } from '../lib/deflate.js';
import { defaultSignatureAlgorithm, signBytes, verifyBytes } from '../signature/raw.js';

/** The name of the query parameter that carries the message. */
export type SamlMessageType = 'SAMLRequest' | 'SAMLResponse';

/** RelayState limit of SAML bindings §3.4.3 ("SHOULD NOT exceed 80 bytes"). */
export const RELAY_STATE_MAX_BYTES = 80;

/** The only encoding samlkit speaks (SAML bindings §3.4.4.1). */
const DEFLATE_ENCODING = 'urn:oasis:names:tc:SAML:2.0:bindings:URL-Encoding:DEFLATE';

/** Parameter names the binding owns; extra parameters may not use them. */
const RESERVED = new Set([
  'SAMLRequest',
  'SAMLResponse',
  'RelayState',
  'SigAlg',
  'Signature',
  'SAMLEncoding',
]);

/** Options for {@link encodeRedirect}. */
export interface EncodeRedirectOptions {
  /** The endpoint URL (IdP SingleSignOnService / SingleLogoutService). May already have a query. */
  readonly destination: string;
  /** `SAMLRequest` for AuthnRequest/LogoutRequest, `SAMLResponse` for LogoutResponse. */
  readonly type: SamlMessageType;
  /** The message XML, without an enveloped `<ds:Signature>` (SAML bindings §3.4.4.1). */
  readonly xml: string;
  /** Opaque state the IdP returns unchanged: at most 80 bytes unless `allowLongRelayState`. */
  readonly relayState?: string;
  /**
   * Sends a RelayState longer than the 80 bytes SAML bindings §3.4.3 says it SHOULD NOT exceed.
   * Some IdPs truncate or refuse it: prefer a short key into the store over a long value.
   */
  readonly allowLongRelayState?: boolean;
  /** Sign the query string (SAML bindings §3.4.4.1). */
  readonly sign?: {
    readonly key: PrivateKey;
    /** Default rsa-sha256 or ecdsa-sha256 by key type. */
    readonly algorithm?: SignatureAlgorithmName;
  };
  /**
   * Parameters the IdP understands besides SAML's (e.g. `domain_hint`, `whr`, `login_hint`).
   * They are appended after the SAML parameters and never covered by the signature; names the
   * binding owns are refused.
   */
  readonly extraParams?:
    | Readonly<Record<string, string>>
    | ReadonlyArray<readonly [string, string]>;
  readonly crypto?: CryptoProvider;
}

/** A Redirect-binding message as received, from {@link decodeRedirect}. */
export interface DecodedRedirect {
  readonly type: SamlMessageType;
  /** The inflated message XML (not yet parsed). */
  readonly xml: string;
  /** The decoded RelayState, or undefined when absent. */
  readonly relayState: string | undefined;
  /** The decoded SigAlg URI, or undefined when unsigned. */
  readonly sigAlg: string | undefined;
  /** The decoded signature bytes, or undefined when unsigned. */
  readonly signature: Uint8Array | undefined;
  /**
   * The octets the signature covers, rebuilt from the parameters exactly as received
   * (`SAMLRequest=…&RelayState=…&SigAlg=…`, SAML bindings §3.4.4.1), or undefined when unsigned.
   */
  readonly signedOctets: Uint8Array | undefined;
}

/** Options for {@link decodeRedirect}. */
export interface DecodeRedirectOptions {
  /** The most bytes the message may inflate to (default 256 KiB). */
  readonly maxInflatedBytes?: number;
  /** The longest query string accepted, in characters (default 64 KiB). */
  readonly maxQueryLength?: number;
  /** The longest RelayState accepted, in UTF-8 bytes (default 1024). */
  readonly maxRelayStateBytes?: number;
}

/** Options for {@link verifyRedirectSignature}. */
export interface VerifyRedirectOptions {
  /** The trusted signing keys of the peer (from its metadata); never a key from the message. */
  readonly keys: readonly PublicKey[];
  /**
   * Accept rsa-sha1 / ecdsa-sha1. **Dangerous**: SHA-1 collisions are practical. Only for an IdP
   * that cannot sign with SHA-256.
   */
  readonly allowSha1?: boolean;
  readonly crypto?: CryptoProvider;
}

/** `encodeURIComponent` also leaves `!'()*` alone; the binding's examples encode everything else. */
function enc(value: string): string {
  return encodeURIComponent(value);
}

function extraPairs(
  extra: EncodeRedirectOptions['extraParams'],
): ReadonlyArray<readonly [string, string]> {
  if (extra === undefined) return [];
  const pairs = Array.isArray(extra)
    ? (extra as ReadonlyArray<readonly [string, string]>)
    : Object.entries(extra as Record<string, string>);
  for (const [name, value] of pairs) {
    if (typeof name !== 'string' || name === '' || typeof value !== 'string') {
      throw new TypeError('encodeRedirect: extraParams must map non-empty names to strings');
    }
    if (RESERVED.has(name)) {
      throw new TypeError(
        `encodeRedirect: extraParams may not set ${name}, which the binding owns`,
      );
    }
  }
  return pairs;
}

function checkDestination(destination: string): void {
  let url: URL;
  try {
    url = new URL(destination);
  } catch {
    throw new TypeError('encodeRedirect: destination must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('encodeRedirect: destination must be an http: or https: URL');
  }
  for (const name of url.searchParams.keys()) {
    if (RESERVED.has(name)) {
      throw new TypeError(`encodeRedirect: destination already carries ${name}`);
    }
  }
}

/**
 * Encodes a SAML message for the HTTP-Redirect binding: raw DEFLATE, base64, URL-encode, append
 * RelayState, and optionally sign the query string.
 *
 * The signature covers exactly the octets `SAMLRequest=…&RelayState=…&SigAlg=…` as they appear in
 * the URL (SAML bindings §3.4.4.1). Extra parameters come after `Signature` and are not signed.
 * A destination that already has a query string keeps it; the SAML parameters follow it.
 *
 * @param options - destination, message type, XML, RelayState, signing key and extra parameters
 * @returns the URL to redirect the browser to (use a 302 or 303)
 * @throws TypeError for a malformed destination, a reserved extra parameter name or a wrong type
 * @throws SamlError `RELAY_STATE_INVALID` when RelayState exceeds 80 bytes without
 *   `allowLongRelayState`; `SIGNATURE_ALGORITHM_UNSUPPORTED` for an algorithm that does not fit
 *   the key; `KEY_INVALID` when the key cannot sign
 *
 * @example Sending a signed AuthnRequest
 * ```ts
 * const { id, xml } = createAuthnRequest({ issuer, destination, now: new Date() });
 * const url = await encodeRedirect({
 *   destination, type: 'SAMLRequest', xml, relayState: 'k7Gq2',
 *   sign: { key: loadPrivateKey(pem) },
 *   extraParams: { domain_hint: 'example.com' },
 * });
 * ```
 *
 * @see SAML 2.0 bindings §3.4 (HTTP-Redirect), §3.4.4.1 (DEFLATE encoding and signing)
 */
export async function encodeRedirect(options: EncodeRedirectOptions): Promise<string> {
  if (!options || typeof options !== 'object') {
    throw new TypeError('encodeRedirect: options must be an object');
  }
  const { destination, type, xml, relayState, sign } = options;
  if (typeof destination !== 'string')
    throw new TypeError('encodeRedirect: destination must be a string');
  checkDestination(destination);
  if (type !== 'SAMLRequest' && type !== 'SAMLResponse') {
    throw new TypeError("encodeRedirect: type must be 'SAMLRequest' or 'SAMLResponse'");
  }
  if (typeof xml !== 'string' || xml === '')
    throw new TypeError('encodeRedirect: xml must be a non-empty string');
  if (relayState !== undefined) {
    if (typeof relayState !== 'string')
      throw new TypeError('encodeRedirect: relayState must be a string');
    const size = utf8(relayState).length;
    if (size > RELAY_STATE_MAX_BYTES && !options.allowLongRelayState) {
      // SAML bindings §3.4.3: RelayState SHOULD NOT exceed 80 bytes.
      throw new SamlError('RELAY_STATE_INVALID', 'The RelayState is longer than 80 bytes.', {
        expected: `at most ${RELAY_STATE_MAX_BYTES} bytes (SAML bindings §3.4.3)`,
        found: `${size} bytes`,
        hint: 'store the return URL and send a short key as RelayState, or set allowLongRelayState',
      });
    }
  }
  const extra = extraPairs(options.extraParams);

  const deflated = await deflateRaw(utf8(xml));
  let query = `${type}=${enc(toBase64(deflated))}`;
  if (relayState !== undefined) query += `&RelayState=${enc(relayState)}`;
  if (sign) {
    const alg: SignatureAlgorithm = signatureAlgorithm(
      sign.algorithm ?? defaultSignatureAlgorithm(sign.key),
    );
    if (alg.keyType !== sign.key.keyType) {
      throw new SamlError(
        'SIGNATURE_ALGORITHM_UNSUPPORTED',
        'The algorithm does not fit the key.',
        {
          expected: `a ${sign.key.keyType} algorithm for this ${sign.key.keyType} key`,
          found: alg.name,
        },
      );
    }
    query += `&SigAlg=${enc(alg.uri)}`;
    // SAML bindings §3.4.4.1: the signature is over the URL-encoded octets just built.
    const signature = await signBytes(utf8(query), sign.key, alg, options.crypto);
    query += `&Signature=${enc(toBase64(signature))}`;
  }
  for (const [name, value] of extra) query += `&${enc(name)}=${enc(value)}`;

  const hash = destination.indexOf('#');
  const base = hash === -1 ? destination : destination.slice(0, hash);
  const fragment = hash === -1 ? '' : destination.slice(hash);
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${sep}${query}${fragment}`;
}

function invalid(summary: string, expected: string, found: string, hint?: string): SamlError {
  return new SamlError(
    'BINDING_INVALID',
    summary,
    hint === undefined ? { expected, found } : { expected, found, hint },
  );
}

/** Decodes a query component: `+` is a space only where a space can occur (RelayState). */
function decodeComponent(raw: string, name: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? raw.replace(/\+/g, ' ') : raw);
  } catch (cause) {
    throw new SamlError('BINDING_INVALID', `The ${name} parameter is not valid URL encoding.`, {
      expected: 'percent-encoded UTF-8 (RFC 3986)',
      found: describeValue(raw.slice(0, 60)),
      cause,
    });
  }
}

function rawQueryOf(input: string | URL): string {
  if (input instanceof URL) return input.search.replace(/^\?/, '');
  if (typeof input !== 'string')
    throw new TypeError('decodeRedirect: input must be a string or URL');
  let q = input.trim();
  const hash = q.indexOf('#');
  if (hash !== -1) q = q.slice(0, hash);
  const mark = q.indexOf('?');
  return mark === -1 ? q : q.slice(mark + 1);
}

/**
 * Decodes an HTTP-Redirect binding message from a URL or query string, keeping the raw query
 * octets as received so the signature can be checked over exactly what the sender signed
 * (re-encoding would not give the same octets: encoders differ in case and in what they escape).
 *
 * It does not verify the signature; call {@link verifyRedirectSignature} next. Pass the request
 * target as a string when you can: a `URL` object may normalise the percent-encoding.
 *
 * @param input - a whole URL, a request target (`/slo?…`) or a bare query string
 * @param options - inflate cap and size limits
 * @returns the message type, XML, RelayState, SigAlg, signature and signed octets
 * @throws SamlError `BINDING_INVALID` (missing, repeated or conflicting parameters, bad encoding,
 *   unsupported SAMLEncoding, Signature without SigAlg), `RELAY_STATE_INVALID`, `BASE64_INVALID`,
 *   `INFLATE_FAILED`, `INFLATE_TOO_LARGE`, `XML_PARSE_ERROR` (not UTF-8)
 *
 * @example Handling a logout request at the SLO endpoint
 * ```ts
 * const decoded = await decodeRedirect(request.url);
 * await verifyRedirectSignature(decoded, { keys: idp.signingKeys });
 * ```
 *
 * @see SAML 2.0 bindings §3.4.4.1, §3.4.5.2
 */
export async function decodeRedirect(
  input: string | URL,
  options: DecodeRedirectOptions = {},
): Promise<DecodedRedirect> {
  const maxQuery = options.maxQueryLength ?? 64 * 1024;
  const maxRelay = options.maxRelayStateBytes ?? 1024;
  const query = rawQueryOf(input);
  if (query.length > maxQuery) {
    throw invalid(
      'The query string is too long.',
      `at most ${maxQuery} characters`,
      `${query.length}`,
    );
  }
  const params = new Map<string, string>();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    if (!RESERVED.has(name)) continue; // other parameters are the application's
    if (params.has(name)) {
      // A repeated parameter would let signer and reader see different values.
      throw invalid(
        `The ${name} parameter appears more than once.`,
        'each SAML parameter at most once',
        'a repeat',
      );
    }
    params.set(name, value);
  }
  const hasReq = params.has('SAMLRequest');
  const hasRes = params.has('SAMLResponse');
  if (hasReq === hasRes) {
    throw invalid(
      hasReq
        ? 'The query carries both SAMLRequest and SAMLResponse.'
        : 'The query carries no SAML message.',
      'exactly one of SAMLRequest or SAMLResponse (SAML bindings §3.4.4.1)',
      hasReq ? 'both' : 'neither',
      'check that the whole URL was copied, including everything after ?',
    );
  }
  const type: SamlMessageType = hasReq ? 'SAMLRequest' : 'SAMLResponse';
  const encoding = params.get('SAMLEncoding');
  if (
    encoding !== undefined &&
    decodeComponent(encoding, 'SAMLEncoding', false) !== DEFLATE_ENCODING
  ) {
    // SAML bindings §3.4.4: DEFLATE is the only encoding defined; others are refused.
    throw invalid(
      'The message uses an unsupported SAMLEncoding.',
      DEFLATE_ENCODING,
      describeValue(encoding),
    );
  }
  const rawMessage = params.get(type)!;
  if (rawMessage === '')
    throw invalid(`The ${type} parameter is empty.`, 'a base64 value', 'an empty value');

  const rawRelay = params.get('RelayState');
  let relayState: string | undefined;
  if (rawRelay !== undefined) {
    relayState = decodeComponent(rawRelay, 'RelayState', true);
    const size = utf8(relayState).length;
    if (size > maxRelay) {
      throw new SamlError('RELAY_STATE_INVALID', 'The RelayState is too long.', {
        expected: `at most ${maxRelay} bytes`,
        found: `${size} bytes`,
        hint: 'raise maxRelayStateBytes if a legitimate peer sends RelayState this long',
      });
    }
  }

  const rawSigAlg = params.get('SigAlg');
  const rawSignature = params.get('Signature');
  if ((rawSigAlg === undefined) !== (rawSignature === undefined)) {
    throw invalid(
      'The query has a signature algorithm without a signature, or the reverse.',
      'both SigAlg and Signature, or neither (SAML bindings §3.4.4.1)',
      rawSigAlg === undefined ? 'Signature only' : 'SigAlg only',
    );
  }
  let sigAlg: string | undefined;
  let signature: Uint8Array | undefined;
  let signedOctets: Uint8Array | undefined;
  if (rawSigAlg !== undefined && rawSignature !== undefined) {
    sigAlg = decodeComponent(rawSigAlg, 'SigAlg', false);
    const sigText = decodeComponent(rawSignature, 'Signature', false);
    signature = fromBase64(sigText, 'The Signature parameter');
    // Only the canonical spelling is accepted, so a signature has exactly one textual form.
    if (toBase64(signature).replace(/=+$/, '') !== sigText.replace(/=+$/, '')) {
      throw new SamlError('BASE64_INVALID', 'The Signature parameter is not canonical base64.', {
        expected: 'base64 without stray bits or whitespace',
        found: describeValue(sigText.slice(0, 60)),
      });
    }
    // SAML bindings §3.4.4.1: the signed octets are the parameters in this order, as received.
    let signed = `${type}=${rawMessage}`;
    if (rawRelay !== undefined) signed += `&RelayState=${rawRelay}`;
    signed += `&SigAlg=${rawSigAlg}`;
    signedOctets = utf8(signed);
  }

  const deflated = fromBase64(decodeComponent(rawMessage, type, false), `The ${type} parameter`);
  const inflated = await inflateRaw(
    deflated,
    options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES,
  );
  const xml = fromUtf8(inflated);
  return { type, xml, relayState, sigAlg, signature, signedOctets };
}

/**
 * Verifies the query-string signature of a decoded HTTP-Redirect message against the peer's
 * configured keys.
 *
 * @param decoded - the result of {@link decodeRedirect}
 * @param options - the trusted keys, and `allowSha1` (dangerous) for legacy IdPs
 * @returns the configured key that verified the signature
 * @throws SamlError `SIGNATURE_MISSING` (unsigned), `SIGNATURE_ALGORITHM_UNSUPPORTED` (unknown
 *   SigAlg), `SIGNATURE_ALGORITHM_FORBIDDEN` (SHA-1 without allowSha1), `SIGNATURE_KEY_UNTRUSTED`
 *   (no configured key of that type), `SIGNATURE_INVALID`
 *
 * @example Requiring a signed logout request
 * ```ts
 * const decoded = await decodeRedirect(req.url);
 * const key = await verifyRedirectSignature(decoded, { keys: idp.signingKeys });
 * ```
 *
 * @see SAML 2.0 bindings §3.4.4.1, §3.4.5.2
 */
export async function verifyRedirectSignature(
  decoded: DecodedRedirect,
  options: VerifyRedirectOptions,
): Promise<PublicKey> {
  if (!options || !Array.isArray(options.keys)) {
    throw new TypeError('verifyRedirectSignature: options.keys must be an array of public keys');
  }
  if (!decoded.sigAlg || !decoded.signature || !decoded.signedOctets) {
    throw new SamlError('SIGNATURE_MISSING', `The ${decoded.type} is not signed.`, {
      expected: 'SigAlg and Signature query parameters (SAML bindings §3.4.4.1)',
      found: 'an unsigned message',
      hint: 'configure the IdP to sign its Redirect-binding messages',
    });
  }
  const verifyOptions = {
    keys: options.keys,
    ...(options.allowSha1 !== undefined && { allowSha1: options.allowSha1 }),
    ...(options.crypto !== undefined && { crypto: options.crypto }),
  };
  return verifyBytes(decoded.signedOctets, decoded.signature, decoded.sigAlg, verifyOptions);
}
