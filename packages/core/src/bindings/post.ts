import { describeValue, SamlError } from '../errors.js';
import { fromBase64Utf8, toBase64, utf8 } from '../lib/bytes.js';
import { escapeHtml } from '../lib/html.js';
import type { SamlMessageType } from './redirect.js';

/**
 * The auto-submit script of {@link renderPostForm}, byte for byte. It never changes with the
 * message, so a strict Content-Security-Policy can allow it by hash ({@link POST_FORM_SCRIPT_HASH}).
 */
export const POST_FORM_SCRIPT = "document.getElementById('samlkit-post').submit();";

/**
 * The CSP source expression for {@link POST_FORM_SCRIPT}: add it to `script-src` when you do not
 * use a nonce, e.g. `script-src 'sha256-…'`. A test recomputes it from the script text.
 */
export const POST_FORM_SCRIPT_HASH = 'sha256-WlANHqQnXjMfz73uk7agYy2f2sEg8pJeV6adV8P9mNo=';

/** The message: XML to base64-encode, or an already base64-encoded value. */
export type PostFormMessage =
  | { readonly xml: string; readonly value?: never }
  | { readonly value: string; readonly xml?: never };

/** Options for {@link renderPostForm}. */
export type RenderPostFormOptions = PostFormMessage & {
  /** Where the browser posts the form (the peer's endpoint for the HTTP-POST binding). */
  readonly action: string;
  /** `SAMLRequest` or `SAMLResponse`. */
  readonly type: SamlMessageType;
  /** Opaque state for the peer to return (SAML bindings §3.5.3: at most 80 bytes SHOULD). */
  readonly relayState?: string;
  /** The CSP nonce of this response, put on the script tag. */
  readonly nonce?: string;
};

/** Options for {@link decodePost}. */
export interface DecodePostOptions {
  /** The most decoded bytes accepted (default 1 MiB, the XML parser's default limit). */
  readonly maxBytes?: number;
}

/**
 * Renders the HTML page of the HTTP-POST binding: a form with the base64 message and RelayState
 * that submits itself with a tiny script, and a visible button inside `<noscript>` for browsers
 * without JavaScript. Every value is HTML-escaped.
 *
 * Serve it with `Content-Type: text/html; charset=utf-8` and `Cache-Control: no-store`. With a
 * strict CSP, either pass the response's `nonce` or allow {@link POST_FORM_SCRIPT_HASH}.
 *
 * @param options - action URL, message type, XML (or base64 value), RelayState and CSP nonce
 * @returns a complete HTML document
 * @throws TypeError when action is not an http(s) URL, or the message is missing or not a string
 *
 * @example Sending a signed AuthnRequest with HTTP-POST
 * ```ts
 * const { xml } = createAuthnRequest({ issuer, destination, now: new Date() });
 * const signed = await signXml(xml, { key, certificate });
 * const html = renderPostForm({ action: destination, type: 'SAMLRequest', xml: signed, nonce });
 * ```
 *
 * @see SAML 2.0 bindings §3.5.4 (message encoding), §3.5.5.1 (signing)
 */
export function renderPostForm(options: RenderPostFormOptions): string {
  if (!options || typeof options !== 'object')
    throw new TypeError('renderPostForm: options must be an object');
  const { action, type, relayState, nonce } = options;
  let url: URL;
  try {
    url = new URL(action);
  } catch {
    throw new TypeError('renderPostForm: action must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    // Never a javascript: or data: action.
    throw new TypeError('renderPostForm: action must be an http: or https: URL');
  }
  if (type !== 'SAMLRequest' && type !== 'SAMLResponse') {
    throw new TypeError("renderPostForm: type must be 'SAMLRequest' or 'SAMLResponse'");
  }
  let value: string;
  if (typeof options.xml === 'string' && options.value === undefined) {
    // SAML bindings §3.5.4: base64 of the XML, no DEFLATE.
    value = toBase64(utf8(options.xml));
  } else if (typeof options.value === 'string' && options.xml === undefined) {
    value = options.value;
  } else {
    throw new TypeError('renderPostForm: give exactly one of xml or value, as a string');
  }
  if (relayState !== undefined && typeof relayState !== 'string') {
    throw new TypeError('renderPostForm: relayState must be a string');
  }
  if (nonce !== undefined && (typeof nonce !== 'string' || nonce === '')) {
    throw new TypeError('renderPostForm: nonce must be a non-empty string');
  }
  const relay =
    relayState === undefined
      ? ''
      : `<input type="hidden" name="RelayState" value="${escapeHtml(relayState)}">`;
  const nonceAttr = nonce === undefined ? '' : ` nonce="${escapeHtml(nonce)}"`;
  return (
    '<!DOCTYPE html>\n' +
    '<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">' +
    '<title>Continue</title></head><body>\n' +
    `<form id="samlkit-post" method="post" action="${escapeHtml(action)}">` +
    `<input type="hidden" name="${type}" value="${escapeHtml(value)}">${relay}` +
    '<noscript><p>JavaScript is turned off. Press Continue to go on.</p>' +
    '<button type="submit">Continue</button></noscript>' +
    '</form>\n' +
    `<script${nonceAttr}>${POST_FORM_SCRIPT}</script>\n` +
    '</body></html>\n'
  );
}

/**
 * Decodes the `SAMLRequest`/`SAMLResponse` form field of an incoming HTTP-POST message: base64 to
 * UTF-8 XML, with a size limit. The XML is not parsed here.
 *
 * @param formValue - the form field value (already form-decoded by the web framework)
 * @param options - size limit
 * @returns the XML text
 * @throws SamlError `XML_TOO_LARGE` (over the limit), `BASE64_INVALID`, `XML_PARSE_ERROR`
 *   (not UTF-8), `BINDING_INVALID` (empty)
 *
 * @example At the Assertion Consumer Service
 * ```ts
 * const xml = decodePost(form.get('SAMLResponse') ?? '');
 * ```
 *
 * @see SAML 2.0 bindings §3.5.4
 */
export function decodePost(formValue: string, options: DecodePostOptions = {}): string {
  if (typeof formValue !== 'string') throw new TypeError('decodePost: formValue must be a string');
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  if (formValue.trim() === '') {
    throw new SamlError('BINDING_INVALID', 'The form carries an empty SAML message.', {
      expected: 'a base64 SAMLRequest or SAMLResponse field (SAML bindings §3.5.4)',
      found: 'an empty value',
    });
  }
  // Check before decoding, so an oversize field never allocates its decoded form. Base64 is 4/3
  // of the bytes; the slack covers the line breaks some IdPs insert.
  const maxChars = Math.ceil((maxBytes * 4) / 3) * 1.1 + 16;
  if (formValue.length > maxChars) {
    throw new SamlError('XML_TOO_LARGE', 'The posted SAML message is larger than the limit.', {
      expected: `at most ${maxBytes} bytes`,
      found: `about ${Math.floor((formValue.length * 3) / 4)} bytes`,
      hint: 'raise maxBytes only if a legitimate IdP sends messages this large',
    });
  }
  // Bounded by the check above: at most about 1.1 × maxBytes are decoded before this check.
  const { text: xml, byteLength } = fromBase64Utf8(formValue, 'The posted SAML message');
  if (byteLength > maxBytes) {
    throw new SamlError('XML_TOO_LARGE', 'The posted SAML message is larger than the limit.', {
      expected: `at most ${maxBytes} bytes`,
      found: `${byteLength} bytes`,
    });
  }
  if (!xml.trimStart().startsWith('<')) {
    throw new SamlError('BINDING_INVALID', 'The posted value does not decode to XML.', {
      expected: 'base64 of an XML message (HTTP-POST is not deflated)',
      found: describeValue(xml.slice(0, 40)),
      hint: 'a value taken from a Redirect URL is deflated: use decodeRedirect for it',
    });
  }
  return xml;
}

/**
 * The former name of {@link decodePost}, kept for one release.
 * @deprecated Use {@link decodePost} (the bindings are named `decodePost`, `decodeRedirect`,
 *   `decodeSimpleSign`).
 */
export const decodePostBinding: typeof decodePost = decodePost;
