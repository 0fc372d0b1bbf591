import type { SignatureAlgorithmName } from '../crypto/algorithms.js';
import type { PrivateKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { toBase64, utf8 } from '../lib/bytes.js';
import { escapeHtml } from '../lib/html.js';
import { signXml } from '../signature/sign.js';
import { POST_FORM_SCRIPT, renderPostForm } from './post.js';
import { encodeRedirect, type SamlMessageType } from './redirect.js';
import { encodeSimpleSign } from './simple-sign.js';
import { createSoapEnvelope, SOAP_CONTENT_TYPE } from './soap.js';

/** Options of {@link encodeOutgoingMessage}. */
export interface OutgoingMessageOptions {
  /** The binding to send on (see `chooseLogoutResponseEndpoint`). */
  readonly binding: 'redirect' | 'post' | 'simpleSign' | 'soap';
  /** `SAMLRequest` for requests, `SAMLResponse` for responses. */
  readonly type: SamlMessageType;
  /** The unsigned message XML (from `createLogoutRequest`, `createLogoutResponse`, …). */
  readonly xml: string;
  /** The peer endpoint URL; required except for `soap` (answered in the HTTP response). */
  readonly destination?: string;
  /** RelayState to send along (front-channel bindings). */
  readonly relayState?: string;
  /**
   * Sign the way the binding signs: the query string (Redirect), an enveloped XML signature (POST,
   * SOAP), the form values (SimpleSign).
   */
  readonly sign?: {
    readonly key: PrivateKey;
    /** PEM certificate for the XML signature's KeyInfo (POST, SOAP). */
    readonly certificate?: string;
    readonly algorithm?: SignatureAlgorithmName;
  };
  /** The CSP nonce of the HTML page (POST, SimpleSign). */
  readonly nonce?: string;
  /** RelayState longer than 80 bytes (Redirect; see `encodeRedirect`). */
  readonly allowLongRelayState?: boolean;
  readonly crypto?: CryptoProvider;
}

/** What to send, per binding. */
export type OutgoingMessage =
  /** Redirect the browser (303) to `url`. */
  | { readonly binding: 'redirect'; readonly url: string }
  /** Serve `html` (an auto-submitting form) with `Cache-Control: no-store`. */
  | { readonly binding: 'post' | 'simpleSign'; readonly html: string }
  /** Answer the back-channel HTTP request with `body` and `contentType`. */
  | { readonly binding: 'soap'; readonly body: string; readonly contentType: string };

/** The POST page with arbitrary hidden fields; same form id and script as `renderPostForm`. */
function renderFields(
  action: string,
  fields: Readonly<Record<string, string>>,
  nonce?: string,
): string {
  const url = new URL(action);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('encodeOutgoingMessage: destination must be an http: or https: URL');
  }
  const inputs = Object.entries(fields)
    .map(([n, v]) => `<input type="hidden" name="${escapeHtml(n)}" value="${escapeHtml(v)}">`)
    .join('');
  const nonceAttr = nonce === undefined ? '' : ` nonce="${escapeHtml(nonce)}"`;
  return (
    '<!DOCTYPE html>\n' +
    '<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">' +
    '<title>Continue</title></head><body>\n' +
    `<form id="samlkit-post" method="post" action="${escapeHtml(action)}">${inputs}` +
    '<noscript><p>JavaScript is turned off. Press Continue to go on.</p>' +
    '<button type="submit">Continue</button></noscript>' +
    '</form>\n' +
    `<script${nonceAttr}>${POST_FORM_SCRIPT}</script>\n` +
    '</body></html>\n'
  );
}

/**
 * Encodes (and signs) an outgoing SAML message for any binding, so a flow can send a
 * LogoutRequest or answer with a LogoutResponse on whatever binding was chosen without a branch
 * per binding. The POST and SimpleSign pages use the same script as `renderPostForm`, so
 * `POST_FORM_SCRIPT_HASH` allows them under a strict Content-Security-Policy.
 *
 * @param options - binding, message type, XML, destination, RelayState, signing key, CSP nonce
 * @returns the redirect URL, the HTML page, or the SOAP body to send
 * @throws TypeError for a missing or malformed destination, or wrong option types
 * @throws SamlError `RELAY_STATE_INVALID`, `SIGNATURE_ALGORITHM_UNSUPPORTED`, `KEY_INVALID`
 * @example Answering a LogoutRequest on the binding it came in on
 * ```ts
 * const target = chooseLogoutResponseEndpoint(request.binding, idp)!;
 * const { xml } = createLogoutResponse({ issuer: sp.entityId, destination: target.location,
 *   inResponseTo: request.id, now: Date.now() });
 * const out = await encodeOutgoingMessage({ binding: target.binding as 'redirect', type: 'SAMLResponse',
 *   xml, destination: target.location, relayState: request.relayState, sign: { key, certificate } });
 * ```
 * @see SAML bindings §3.2 (SOAP), §3.4.4 (Redirect), §3.5.4 (POST); SimpleSign binding §2
 */
export async function encodeOutgoingMessage(
  options: OutgoingMessageOptions,
): Promise<OutgoingMessage> {
  if (!options || typeof options !== 'object') {
    throw new TypeError('encodeOutgoingMessage: options must be an object');
  }
  const { binding, type, xml, destination, relayState, sign, nonce } = options;
  if (typeof xml !== 'string' || xml === '') {
    throw new TypeError('encodeOutgoingMessage: xml must be a non-empty string');
  }
  const crypto = options.crypto ? { crypto: options.crypto } : {};
  const xmlSign = async () =>
    sign
      ? signXml(xml, {
          key: sign.key,
          ...(sign.certificate !== undefined ? { certificate: sign.certificate } : {}),
          ...(sign.algorithm !== undefined ? { algorithm: sign.algorithm } : {}),
          ...crypto,
        })
      : xml;
  if (binding === 'soap') {
    return { binding, body: createSoapEnvelope(await xmlSign()), contentType: SOAP_CONTENT_TYPE };
  }
  if (typeof destination !== 'string') {
    throw new TypeError(`encodeOutgoingMessage: destination is required for ${String(binding)}`);
  }
  switch (binding) {
    case 'redirect':
      return {
        binding,
        url: await encodeRedirect({
          destination,
          type,
          xml,
          ...(relayState !== undefined ? { relayState } : {}),
          ...(options.allowLongRelayState ? { allowLongRelayState: true } : {}),
          ...(sign
            ? { sign: { key: sign.key, ...(sign.algorithm ? { algorithm: sign.algorithm } : {}) } }
            : {}),
          ...crypto,
        }),
      };
    case 'post':
      return {
        binding,
        html: renderPostForm({
          action: destination,
          type,
          xml: await xmlSign(),
          ...(relayState !== undefined ? { relayState } : {}),
          ...(nonce !== undefined ? { nonce } : {}),
        }),
      };
    case 'simpleSign': {
      let fields: Readonly<Record<string, string>>;
      if (sign) {
        fields = await encodeSimpleSign({
          type,
          xml,
          sign: { key: sign.key, ...(sign.algorithm ? { algorithm: sign.algorithm } : {}) },
          ...(relayState !== undefined ? { relayState } : {}),
          ...crypto,
        });
      } else {
        fields = {
          [type]: toBase64(utf8(xml)),
          ...(relayState !== undefined ? { RelayState: relayState } : {}),
        };
      }
      return { binding, html: renderFields(destination, fields, nonce) };
    }
    default:
      throw new TypeError(
        `encodeOutgoingMessage: unsupported binding ${String(binding)}: use redirect, post, simpleSign or soap`,
      );
  }
}
