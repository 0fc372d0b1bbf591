import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { SamlError } from '../errors.js';
import { assertSignatureMethodUris } from '../lib/checks.js';
import { parseXml, type XmlLimits } from '../lib/xml.js';
import { verifyElementSignature } from '../signature/verify.js';
import { decodePost } from './post.js';
import {
  type DecodeRedirectOptions,
  decodeRedirect,
  type SamlMessageType,
  verifyRedirectSignature,
} from './redirect.js';
import { decodeSimpleSign, verifySimpleSignSignature } from './simple-sign.js';
import { parseSoapEnvelope } from './soap.js';

/**
 * A SAML message as it reached an endpoint, per binding. Adapters build it from the HTTP request:
 *
 * - `redirect`: the raw query string or the whole request URL (keep the original percent-encoding:
 *   the signature covers the octets as sent),
 * - `post`: the form fields; a form that also carries `SigAlg` and `Signature` is treated as
 *   HTTP-POST-SimpleSign,
 * - `simpleSign`: the form fields of an HTTP-POST-SimpleSign message,
 * - `soap`: the body of a SOAP 1.1 back-channel request.
 */
export type IncomingSamlMessage =
  | { readonly binding: 'redirect'; readonly query: string | URL }
  | { readonly binding: 'post'; readonly form: Readonly<Record<string, string | undefined>> }
  | { readonly binding: 'simpleSign'; readonly form: Readonly<Record<string, string | undefined>> }
  | { readonly binding: 'soap'; readonly body: string };

/** The bindings a message can arrive on at an SP endpoint. */
export type IncomingBinding = IncomingSamlMessage['binding'];

/** How an incoming message was authenticated. */
export interface MessageSignatureInfo {
  /**
   * `query`: Redirect binding query signature; `simpleSign`: SimpleSign form signature; `xml`: an
   * enveloped XML signature on the message element.
   */
  readonly method: 'query' | 'simpleSign' | 'xml';
  /** The configured key that verified it. */
  readonly key: PublicKey;
  /** The signature algorithm URI. */
  readonly algorithm: string;
}

/** What {@link receiveMessage} returns. @internal */
export interface ReceivedMessage {
  readonly binding: IncomingBinding;
  readonly type: SamlMessageType;
  readonly root: Element;
  readonly relayState: string | undefined;
  /** Undefined only when unsigned messages were allowed and this one is unsigned. */
  readonly signature: MessageSignatureInfo | undefined;
}

/** @internal */
export interface ReceiveOptions {
  readonly type: SamlMessageType;
  /**
   * The trusted keys, or a function that picks them from the decoded (not yet verified) message
   * element — for example by its Issuer, among several IdPs.
   */
  readonly keys: readonly PublicKey[] | ((root: Element) => Promise<readonly PublicKey[]>);
  readonly allowSha1?: boolean;
  /** Accept an unsigned message on the Redirect binding only. */
  readonly allowUnsignedRedirect?: boolean;
  readonly crypto?: CryptoProvider;
  readonly limits?: XmlLimits;
  readonly redirect?: DecodeRedirectOptions;
  /** The message name for errors, e.g. `LogoutRequest`. */
  readonly what: string;
}

function wrongType(expected: SamlMessageType, found: SamlMessageType): SamlError {
  return new SamlError('BINDING_INVALID', `The message arrived as ${found}, not ${expected}.`, {
    expected: `a ${expected} parameter`,
    found,
    hint: 'requests (LogoutRequest) travel as SAMLRequest, responses (LogoutResponse, Response) as SAMLResponse',
  });
}

/** What {@link decodeIncoming} returns. @internal */
export interface DecodedIncoming {
  readonly binding: IncomingBinding;
  readonly root: Element;
  readonly relayState: string | undefined;
  /** The Redirect query or SimpleSign form signature, when the message carried one (verified). */
  readonly bindingSignature: MessageSignatureInfo | undefined;
  /** The keys and policy the binding signature was checked with, for the XML signature. */
  readonly verifyOptions: {
    readonly keys: readonly PublicKey[];
    readonly allowSha1: boolean;
    readonly crypto?: CryptoProvider;
  };
}

/**
 * Decodes a message from any binding and verifies the binding-level signature (Redirect query,
 * SimpleSign form) when there is one, against the configured keys only. The enveloped XML
 * signature and whether the message must be signed are the caller's.
 *
 * @throws SamlError `BINDING_INVALID`, `SIGNATURE_*`, `SOAP_FAULT`, `XML_*`, `BASE64_INVALID`,
 *   `INFLATE_*`, `RELAY_STATE_INVALID`
 * @see SAML bindings §3.2.3 (SOAP), §3.4.4.1 (Redirect), §3.5.4 (POST); SimpleSign §2.3
 * @internal
 */
export async function decodeIncoming(
  input: IncomingSamlMessage,
  options: Omit<ReceiveOptions, 'allowUnsignedRedirect' | 'what'>,
): Promise<DecodedIncoming> {
  if (!input || typeof input !== 'object') {
    throw new TypeError('receiveMessage: the incoming message must be an object with a binding');
  }
  if (!Array.isArray(options.keys) && typeof options.keys !== 'function') {
    throw new TypeError('options.idp.signingKeys must be an array');
  }
  const common = {
    allowSha1: options.allowSha1 ?? false,
    ...(options.crypto ? { crypto: options.crypto } : {}),
  };
  let verifyOpts: typeof common & { keys: readonly PublicKey[] } = { ...common, keys: [] };
  const keysFor = async (root: Element): Promise<void> => {
    const keys = typeof options.keys === 'function' ? await options.keys(root) : options.keys;
    if (!Array.isArray(keys)) throw new TypeError('the IdP signingKeys must be an array');
    verifyOpts = { ...common, keys };
  };
  let binding: IncomingBinding = input.binding;
  let root: Element;
  let relayState: string | undefined;
  let bindingSignature: MessageSignatureInfo | undefined;

  if (input.binding === 'redirect') {
    const decoded = await decodeRedirect(input.query, options.redirect ?? {});
    if (decoded.type !== options.type) throw wrongType(options.type, decoded.type);
    root = parseXml(decoded.xml, options.limits).documentElement;
    relayState = decoded.relayState;
    await keysFor(root);
    if (decoded.signature) {
      // SAML bindings §3.4.4.1: the signature is over the query octets as received.
      const key = await verifyRedirectSignature(decoded, verifyOpts);
      bindingSignature = { method: 'query', key, algorithm: decoded.sigAlg! };
    }
  } else if (input.binding === 'post' || input.binding === 'simpleSign') {
    const form = input.form;
    if (!form || typeof form !== 'object')
      throw new TypeError('the incoming form must be an object');
    const isSimpleSign =
      input.binding === 'simpleSign' || form.SigAlg !== undefined || form.Signature !== undefined;
    if (isSimpleSign) {
      binding = 'simpleSign';
      const maxBytes = options.limits?.maxSize;
      const decoded = decodeSimpleSign(form, maxBytes !== undefined ? { maxBytes } : {});
      if (decoded.type !== options.type) throw wrongType(options.type, decoded.type);
      root = parseXml(decoded.xml, options.limits).documentElement;
      relayState = decoded.relayState;
      await keysFor(root);
      if (decoded.signature) {
        const key = await verifySimpleSignSignature(decoded, verifyOpts);
        bindingSignature = { method: 'simpleSign', key, algorithm: decoded.sigAlg! };
      }
    } else {
      const other = options.type === 'SAMLRequest' ? 'SAMLResponse' : 'SAMLRequest';
      const value = form[options.type];
      if (value === undefined) {
        if (form[other] !== undefined) throw wrongType(options.type, other);
        throw new SamlError('BINDING_INVALID', 'The form carries no SAML message.', {
          expected: `a ${options.type} form field (SAML bindings §3.5.4)`,
          found: 'none',
        });
      }
      const maxBytes = options.limits?.maxSize;
      root = parseXml(
        decodePost(value, maxBytes !== undefined ? { maxBytes } : {}),
        options.limits,
      ).documentElement;
      relayState = form.RelayState;
      await keysFor(root);
    }
  } else if (input.binding === 'soap') {
    if (typeof input.body !== 'string')
      throw new TypeError('the incoming SOAP body must be a string');
    root = parseSoapEnvelope(input.body, options.limits).message;
    relayState = undefined;
    await keysFor(root);
  } else {
    throw new TypeError(
      `unsupported binding ${String((input as { binding?: unknown }).binding)}: use redirect, post, simpleSign or soap`,
    );
  }

  return { binding, root, relayState, bindingSignature, verifyOptions: verifyOpts };
}

/**
 * Decodes a message from any binding, checks every signature it carries against the configured
 * keys only, and refuses an unsigned message unless allowed (Redirect only).
 *
 * @throws SamlError `BINDING_INVALID`, `SIGNATURE_*`, `SOAP_FAULT`, `XML_*`, `BASE64_INVALID`,
 *   `INFLATE_*`, `RELAY_STATE_INVALID`
 * @see SAML bindings §3.2.3 (SOAP), §3.4.5.2 (Redirect), §3.5.5.2 (POST); SimpleSign §2.5
 * @internal
 */
export async function receiveMessage(
  input: IncomingSamlMessage,
  options: ReceiveOptions,
): Promise<ReceivedMessage> {
  const { binding, root, relayState, bindingSignature, verifyOptions } = await decodeIncoming(
    input,
    options,
  );
  const verifyOpts = verifyOptions;
  // XML-DSig core §3.2, SAML core §5.4: an enveloped signature directly on the message is always
  // checked when present (throws when it is invalid or made by an unknown key).
  assertSignatureMethodUris(root);
  const xmlSig = await verifyElementSignature(root, verifyOpts);
  const signature: MessageSignatureInfo | undefined =
    bindingSignature ??
    (xmlSig ? { method: 'xml', key: xmlSig.key, algorithm: xmlSig.algorithm.uri } : undefined);

  if (!signature && !(binding === 'redirect' && options.allowUnsignedRedirect)) {
    const how =
      binding === 'redirect'
        ? 'SigAlg and Signature query parameters (SAML bindings §3.4.4.1)'
        : binding === 'simpleSign'
          ? 'SigAlg and Signature form fields (SimpleSign §2.3)'
          : 'an enveloped <ds:Signature> on the message (SAML bindings §3.2.3.2 / §3.5.5.2)';
    throw new SamlError('SIGNATURE_MISSING', `The ${options.what} is not signed.`, {
      expected: how,
      found: 'an unsigned message',
      hint:
        binding === 'redirect'
          ? 'configure the IdP to sign logout messages; only if it cannot, set allowUnsignedLogout (dangerous: anyone can then log your users out)'
          : 'configure the IdP to sign logout messages',
      binding,
    });
  }
  return { binding, type: options.type, root, relayState, signature };
}
