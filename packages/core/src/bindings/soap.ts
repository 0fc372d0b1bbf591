import { describeValue, SamlError } from '../errors.js';
import { fetchOutbound, type OutboundFetch } from '../lib/outbound.js';
import {
  childElements,
  DEFAULT_XML_LIMITS,
  escapeXml,
  isElement,
  NS,
  optionalChild,
  parseXml,
  textOf,
  type XmlLimits,
} from '../lib/xml.js';

/** The `Content-Type` of a SOAP 1.1 message over HTTP (SOAP 1.1 §6.1.1). */
export const SOAP_CONTENT_TYPE = 'text/xml; charset=utf-8';

/** The `SOAPAction` value SAML bindings §3.2.3.3 suggests (SOAP 1.1 §6.1.1 requires the header). */
export const SOAP_ACTION = 'http://www.oasis-open.org/committees/security';

/** The SOAP 1.1 fault codes (SOAP 1.1 §4.4.1), or any other QName local part. */
export type SoapFaultCode = 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand';

/** A SOAP envelope as received, from {@link parseSoapEnvelope}. */
export interface ParsedSoapEnvelope {
  /** The parsed document (the envelope). */
  readonly document: Document;
  /** The single element inside `soap-env:Body`: the SAML message. */
  readonly message: Element;
}

/** Options of {@link postSoapMessage}. */
export interface PostSoapOptions {
  /** The `fetch` to use (default `globalThis.fetch`). Inject one for TLS client certificates or proxies. */
  readonly fetch?: typeof fetch;
  /** Give up after this many milliseconds, including reading the answer. Default 10000. */
  readonly timeoutMs?: number;
  /** An outer abort signal (for example the incoming request's). */
  readonly signal?: AbortSignal;
  /** Limits for the XML of the answer (defaults: 1 MiB, 64 levels). */
  readonly limits?: XmlLimits;
  /** Extra request headers (for example an Authorization header some IdPs require). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * **Development only.** Allow a plain-http endpoint. Anyone on the network path can then read
   * the message and forge the answer. Never set it in production.
   */
  readonly allowInsecureHttpForDevelopment?: boolean;
}

/** Options of {@link createSoapFault}. */
export interface SoapFaultOptions {
  /** `Client` when the request was at fault, `Server` when the responder failed. */
  readonly code: SoapFaultCode;
  /** A human-readable explanation. Do not put secrets or stack traces here. */
  readonly message: string;
}

const ENVELOPE_OPEN = `<soap-env:Envelope xmlns:soap-env="${NS.soap}"><soap-env:Body>`;
const ENVELOPE_CLOSE = '</soap-env:Body></soap-env:Envelope>';

/**
 * Wraps a SAML protocol message in a SOAP 1.1 envelope: the message becomes the only child of
 * `Body`, with no SOAP header (SAML bindings §3.2.3.1). Sign the message before wrapping it.
 *
 * @param messageXml - the SAML message XML (e.g. a signed ArtifactResolve or LogoutResponse)
 * @returns the envelope XML, to send with {@link SOAP_CONTENT_TYPE}
 * @throws TypeError when messageXml is not a string holding an element
 * @example Answering a back-channel LogoutRequest
 * ```ts
 * return new Response(createSoapEnvelope(signedLogoutResponseXml), {
 *   headers: { 'content-type': SOAP_CONTENT_TYPE },
 * });
 * ```
 * @see SAML 2.0 bindings §3.2 (SOAP binding); SOAP 1.1 §4
 */
export function createSoapEnvelope(messageXml: string): string {
  if (typeof messageXml !== 'string') {
    throw new TypeError('createSoapEnvelope: messageXml must be a string');
  }
  // An XML declaration cannot appear inside another element.
  const body = messageXml.replace(/^\uFEFF?\s*<\?xml[^?]*\?>\s*/, '');
  if (!body.startsWith('<')) throw new TypeError('createSoapEnvelope: messageXml must be XML');
  return `${ENVELOPE_OPEN}${body}${ENVELOPE_CLOSE}`;
}

/**
 * Builds a SOAP 1.1 fault envelope, for a back-channel endpoint that cannot process what it was
 * sent at the SOAP level (SAML bindings §3.2.3.3). SAML-level refusals (a bad signature, an
 * unknown session) are answered with a SAML response carrying an error status instead.
 *
 * @param options - the fault code and message
 * @returns the envelope XML; send it with HTTP status 500 (SOAP 1.1 §6.2)
 * @example Refusing a body that is not a SOAP envelope
 * ```ts
 * const body = createSoapFault({ code: 'Client', message: 'Expected a SOAP 1.1 envelope' });
 * return new Response(body, { status: 500, headers: { 'content-type': SOAP_CONTENT_TYPE } });
 * ```
 * @see SOAP 1.1 §4.4 (Fault), SAML bindings §3.2.3.3
 */
export function createSoapFault(options: SoapFaultOptions): string {
  if (!options || typeof options.code !== 'string' || typeof options.message !== 'string') {
    throw new TypeError('createSoapFault: options.code and options.message must be strings');
  }
  return createSoapEnvelope(
    `<soap-env:Fault><faultcode>soap-env:${escapeXml(options.code)}</faultcode>` +
      `<faultstring>${escapeXml(options.message)}</faultstring></soap-env:Fault>`,
  );
}

function faultError(fault: Element, httpStatus?: number): SamlError {
  // SOAP 1.1 §4.4: faultcode and faultstring are unqualified children of Fault.
  const code = childElements(fault, undefined, 'faultcode')[0];
  const text = childElements(fault, undefined, 'faultstring')[0];
  const actor = childElements(fault, undefined, 'faultactor')[0];
  const detail = childElements(fault, undefined, 'detail')[0];
  const faultCode = code ? safeText(code) : undefined;
  const faultString = text ? safeText(text) : undefined;
  return new SamlError('SOAP_FAULT', 'The peer answered with a SOAP fault.', {
    expected: 'a SAML message in the SOAP Body',
    found: `fault ${describeValue(faultCode)}: ${describeValue(faultString, 300)}`,
    hint: 'read the fault string; a Client fault means the peer refused what samlkit sent (signature, issuer, unknown artifact), a Server fault means the peer itself failed — check its logs',
    faultCode: faultCode ?? null,
    faultString: faultString ?? null,
    ...(actor ? { faultActor: safeText(actor) } : {}),
    ...(detail ? { faultDetail: (detail.textContent ?? '').trim().slice(0, 500) } : {}),
    ...(httpStatus !== undefined ? { httpStatus } : {}),
  });
}

function safeText(el: Element): string {
  try {
    return textOf(el).trim();
  } catch {
    return (el.textContent ?? '').trim();
  }
}

/**
 * Parses a SOAP 1.1 envelope carrying a SAML message (either an incoming back-channel request or
 * the answer to one) and returns the message element. A SOAP fault is turned into a `SOAP_FAULT`
 * error with the fault code and string.
 *
 * @param xml - the HTTP body
 * @param limits - XML size and depth limits
 * @returns the document and the single element inside `Body`
 * @throws SamlError `SOAP_FAULT` (details `faultCode`, `faultString`), `BINDING_INVALID` (not a
 *   SOAP 1.1 envelope, several or no Body children, a header the receiver must understand),
 *   `XML_*` for unsafe or malformed XML
 * @example At a back-channel SLO endpoint
 * ```ts
 * const { message } = parseSoapEnvelope(await request.text());
 * ```
 * @see SAML bindings §3.2.3.1, §3.2.3.2; SOAP 1.1 §4.2.3 (mustUnderstand), §4.4 (Fault)
 */
export function parseSoapEnvelope(xml: string, limits?: XmlLimits): ParsedSoapEnvelope {
  if (typeof xml !== 'string') throw new TypeError('parseSoapEnvelope: xml must be a string');
  const document = parseXml(xml, limits);
  const envelope = document.documentElement;
  if (!isElement(envelope, NS.soap, 'Envelope')) {
    throw new SamlError('BINDING_INVALID', 'The body is not a SOAP 1.1 envelope.', {
      expected: `<Envelope> in ${NS.soap} (SAML bindings §3.2 uses SOAP 1.1)`,
      found: `<${envelope.nodeName}> in ${envelope.namespaceURI ?? 'no namespace'}`,
      hint: 'SOAP 1.2 (namespace http://www.w3.org/2003/05/soap-envelope) is not part of the SAML 2.0 SOAP binding',
    });
  }
  const header = optionalChild(envelope, NS.soap, 'Header');
  if (header) {
    for (const h of childElements(header)) {
      // SOAP 1.1 §4.2.3: a header the receiver must understand but does not is a fault.
      const must = h.getAttributeNS(NS.soap, 'mustUnderstand');
      if (must === '1' || must === 'true') {
        throw new SamlError(
          'BINDING_INVALID',
          'The SOAP envelope has a header samlkit must understand.',
          {
            expected: 'no SOAP header with mustUnderstand="1" (SAML bindings §3.2.3.1)',
            found: `<${h.nodeName}>`,
          },
        );
      }
    }
  }
  const body = optionalChild(envelope, NS.soap, 'Body');
  if (!body) {
    throw new SamlError('BINDING_INVALID', 'The SOAP envelope has no Body.', {
      expected: 'one <Body> (SOAP 1.1 §4.3)',
      found: 'none',
    });
  }
  const children = childElements(body);
  if (children.length === 1 && isElement(children[0], NS.soap, 'Fault')) {
    throw faultError(children[0]!);
  }
  if (children.length !== 1) {
    throw new SamlError('BINDING_INVALID', 'The SOAP Body does not hold exactly one message.', {
      expected: 'exactly one SAML message element in the Body (SAML bindings §3.2.3.1)',
      found: `${children.length} elements`,
    });
  }
  return { document, message: children[0]! };
}

function requestFailed(url: string, summary: string, found: string, cause?: unknown): SamlError {
  return new SamlError('HTTP_REQUEST_FAILED', summary, {
    expected: `an HTTP answer from ${describeValue(url)}`,
    found,
    hint: 'check that the URL (from the peer metadata) is reachable from this server, the TLS certificate is trusted by this runtime, and the timeout is long enough',
    url,
    ...(cause !== undefined ? { cause } : {}),
  });
}

/**
 * Sends a SAML message to a peer over the SOAP binding (HTTP POST, server to server) and returns
 * the SAML message of its answer. Used for ArtifactResolve and back-channel LogoutRequests.
 *
 * The endpoint must be https (plain http only with `allowInsecureHttpForDevelopment`), redirects
 * are refused, and the answer is capped while it streams. TLS trust is whatever the runtime's
 * (or the injected) `fetch` does, so the answer's signature is what the caller must check.
 *
 * @param url - the peer endpoint (ArtifactResolutionService or SingleLogoutService with SOAP)
 * @param messageXml - the (signed) SAML message to send
 * @param options - `fetch`, `timeoutMs`, an abort signal, XML limits, extra headers
 * @returns the parsed answer envelope and the message inside it
 * @throws SamlError `HTTP_REQUEST_FAILED` (a plain-http endpoint, a redirect, network error,
 *   timeout, a non-2xx status without a SOAP fault; details `url`, `httpStatus`), `SOAP_FAULT` (details `faultCode`, `faultString`,
 *   `httpStatus`), `BINDING_INVALID`, `XML_TOO_LARGE` (the answer exceeds 4 × `limits.maxSize`
 *   bytes, checked while reading), `XML_*`
 * @example Resolving an artifact (see resolveArtifact, which does all of it)
 * ```ts
 * const { message } = await postSoapMessage(ars.location, signedArtifactResolve, { timeoutMs: 5000 });
 * ```
 * @see SAML bindings §3.2.3 (SAML SOAP binding over HTTP); SOAP 1.1 §6
 */
export async function postSoapMessage(
  url: string,
  messageXml: string,
  options: PostSoapOptions = {},
): Promise<ParsedSoapEnvelope> {
  if (typeof url !== 'string') throw new TypeError('postSoapMessage: url must be a string');
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new TypeError('postSoapMessage: url must be an absolute URL');
  }
  if (parsedUrl.protocol !== 'https:' && parsedUrl.protocol !== 'http:') {
    throw new TypeError('postSoapMessage: url must be an http: or https: URL');
  }
  // SAML bindings §3.2.3 leaves transport security to TLS; a SOAP message over plain http can be
  // read and answered by anyone on the path. Refused unless explicitly allowed for development.
  if (parsedUrl.protocol === 'http:' && options.allowInsecureHttpForDevelopment !== true) {
    throw new SamlError('HTTP_REQUEST_FAILED', 'The SOAP endpoint is not https.', {
      expected: 'an https endpoint',
      found: describeValue(url),
      hint: 'the peer metadata must publish an https endpoint (allowInsecureHttpForDevelopment allows http, for local development only)',
      url,
    });
  }
  const doFetch = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (typeof doFetch !== 'function') {
    throw new TypeError('postSoapMessage: no fetch available; pass options.fetch');
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new TypeError('postSoapMessage: timeoutMs must be a positive number');
  }
  // The answer is read with a cap, so a misbehaving peer cannot make us buffer gigabytes before
  // the XML size limit applies (a character is at most 4 UTF-8 bytes).
  const maxBytes = (options.limits?.maxSize ?? DEFAULT_XML_LIMITS.maxSize) * 4;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onOuterAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let status: number;
  let text: string;
  try {
    // Redirects are not followed (a signed message names its Destination); the answer is read
    // even on an HTTP error, as a SOAP fault comes with HTTP 500 (SOAP 1.1 §6.2).
    const response = await fetchOutbound(url, {
      fetch: doFetch as OutboundFetch,
      method: 'POST',
      headers: {
        ...options.headers,
        'content-type': SOAP_CONTENT_TYPE,
        accept: 'text/xml',
        soapaction: `"${SOAP_ACTION}"`,
      },
      body: createSoapEnvelope(messageXml),
      signal: controller.signal,
      maxBytes,
      maxRedirects: 0,
      ...(options.allowInsecureHttpForDevelopment === true
        ? { allowInsecureHttpForDevelopment: true }
        : {}),
      failureCode: 'HTTP_REQUEST_FAILED',
      what: 'the SOAP answer',
      readErrorBody: true,
    });
    status = response.status;
    text = response.text;
  } catch (cause) {
    if (timedOut && !(cause instanceof SamlError && cause.code === 'XML_TOO_LARGE')) {
      throw requestFailed(
        url,
        'The SOAP request timed out.',
        `no answer within ${timeoutMs} ms`,
        cause,
      );
    }
    throw cause;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (status < 200 || status >= 300) {
    // SOAP 1.1 §6.2: a fault comes with HTTP 500; report it as such when the body is one.
    let fault: SamlError | undefined;
    try {
      parseSoapEnvelope(text, options.limits);
    } catch (err) {
      if (err instanceof SamlError && err.code === 'SOAP_FAULT') {
        fault = new SamlError('SOAP_FAULT', err.message.replace(/^\[SOAP_FAULT\] /, ''), {
          ...err.details,
          httpStatus: status,
        });
      }
    }
    if (fault) throw fault;
    throw new SamlError(
      'HTTP_REQUEST_FAILED',
      'The peer answered the SOAP request with an HTTP error.',
      {
        expected: 'HTTP 200 with a SOAP envelope',
        found: `HTTP ${status}`,
        hint: 'check the endpoint URL in the peer metadata and the peer logs',
        url,
        httpStatus: status,
      },
    );
  }
  return parseSoapEnvelope(text, options.limits);
}

/** Reads a SOAP envelope's Body child and checks it is the expected SAML message. @internal */
export function expectSamlMessage(message: Element, ns: string, localName: string): Element {
  if (!isElement(message, ns, localName)) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', `The SOAP Body does not hold a ${localName}.`, {
      expected: `<${localName}> in ${ns}`,
      found: `<${message.nodeName}> in ${message.namespaceURI ?? 'no namespace'}`,
    });
  }
  return message;
}
