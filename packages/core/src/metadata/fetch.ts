// One download of a metadata document, by the rules every fetch samlkit makes follows
// (lib/outbound.ts): redirects checked hop by hop and never from https to http, a hop limit, and
// the body capped while it streams.
import { describeValue, SamlError } from '../errors.js';
import { DEFAULT_MAX_REDIRECTS, fetchOutbound } from '../lib/outbound.js';
import { DEFAULT_XML_LIMITS } from '../lib/xml.js';

/** Options of {@link fetchMetadataXml}. */
export interface FetchMetadataOptions {
  /** The `fetch` to use (the runtime's global one, or one with a proxy or client TLS). */
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** Give up after this many milliseconds. Default 10000. */
  readonly timeoutMs?: number;
  /** The largest document accepted, in characters (default `DEFAULT_XML_LIMITS.maxSize`). */
  readonly maxSize?: number;
  /** Redirects followed at most (default 5); 0 refuses any redirect. */
  readonly maxRedirects?: number;
  /**
   * **Development only.** Allow plain http anywhere, not only on a loopback host. Anyone on the
   * network path can replace a document fetched over http, and with it the IdP's certificates.
   */
  readonly allowInsecureHttpForDevelopment?: boolean;
  /**
   * Allow a plain-http URL on any host because the document's signature will be checked with a
   * pinned key (signed metadata). Redirects may still never go from https to http.
   */
  readonly signatureChecked?: boolean;
}

/** Whether a host name is a loopback address (the machine itself). @internal */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** What a previous download of a document returned, for a conditional request. */
export interface MetadataValidators {
  /** The `ETag` of the copy held (sent back as `If-None-Match`). */
  readonly etag?: string;
  /** The `Last-Modified` of the copy held (sent back as `If-Modified-Since`). */
  readonly lastModified?: string;
}

/** Options of {@link fetchMetadataDocument}. */
export interface FetchMetadataDocumentOptions extends FetchMetadataOptions {
  /**
   * The validators of the copy already held: the request becomes conditional, and a server that
   * still has the same document answers `304 Not Modified` without sending it again.
   */
  readonly validators?: MetadataValidators;
}

/** What {@link fetchMetadataDocument} returns. */
export type MetadataDownload =
  | {
      /** The server sent a document. */
      readonly modified: true;
      /** The document, not yet parsed or verified. */
      readonly xml: string;
      /** Its validators, to make the next request conditional. */
      readonly validators: MetadataValidators;
    }
  | {
      /** The server answered 304: the copy held is still current. */
      readonly modified: false;
      /** Validators the 304 carried (a server may send an updated ETag). */
      readonly validators: MetadataValidators;
    };

function validatorsOf(headers: Headers): MetadataValidators {
  const etag = headers.get('etag');
  const lastModified = headers.get('last-modified');
  return {
    ...(etag !== null && etag !== '' && { etag }),
    ...(lastModified !== null && lastModified !== '' && { lastModified }),
  };
}

/**
 * Downloads a metadata document (an IdP's metadata, or a federation aggregate) and returns its
 * text. The URL must be https; plain http is taken only for a loopback host, for signed metadata
 * (`signatureChecked`), or with `allowInsecureHttpForDevelopment`. Redirects are followed only to
 * https, at most `maxRedirects` of them, and the body is refused once it grows past what
 * `maxSize` characters can take in UTF-8, whether or not the server announced its length.
 *
 * @param url - the metadata URL
 * @param options - the fetch to use and the limits
 * @returns the document, not yet parsed or verified
 * @throws SamlError `CONFIG_INVALID` (not an https URL), `METADATA_FETCH_FAILED` (network error,
 *   refused redirect, error status, timeout), `XML_TOO_LARGE` (body over the cap)
 */
export async function fetchMetadataXml(
  url: string,
  options: FetchMetadataOptions,
): Promise<string> {
  // Never conditional: without validators a 304 is refused, so a document always comes back.
  const { validators: _notConditional, ...unconditional } = options as FetchMetadataDocumentOptions;
  const got = await fetchMetadataDocument(url, unconditional);
  return got.modified ? got.xml : '';
}

/**
 * Checks a metadata URL: an absolute https URL; plain http only for a loopback host, for signed
 * metadata (`signed`), or with the development option (`devHttp`) — over plain http anyone on the
 * path could swap the IdP's certificates (SAML metadata §4.1 leaves the transport's integrity to
 * the deployment; signed metadata carries its own).
 * @param url - the URL as configured
 * @param rules - whether the document's signature is checked, the development option, and how
 *   the refusal names the signed alternative and what to do
 * @returns the parsed URL
 * @throws SamlError `CONFIG_INVALID`
 * @internal
 */
export function checkMetadataUrl(
  url: string,
  rules: {
    readonly signed: boolean;
    readonly devHttp: boolean;
    readonly signedMeans: string;
    readonly hint: string;
  },
): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SamlError('CONFIG_INVALID', 'The metadata URL is not a URL.', {
      expected: 'an absolute https URL',
      found: describeValue(String(url)),
      hint: 'paste the IdP’s metadata URL exactly as its admin console shows it',
    });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new SamlError('CONFIG_INVALID', 'The metadata URL must use https.', {
      expected: 'an https URL',
      found: describeValue(url),
    });
  }
  if (
    parsed.protocol === 'http:' &&
    !rules.signed &&
    !rules.devHttp &&
    !isLoopbackHost(parsed.hostname)
  ) {
    throw new SamlError('CONFIG_INVALID', 'The metadata URL uses plain http.', {
      expected: `an https URL (or ${rules.signedMeans})`,
      found: describeValue(url),
      hint: rules.hint,
    });
  }
  return parsed;
}

/**
 * Downloads a metadata document by the rules of {@link fetchMetadataXml}, as a conditional
 * request when `validators` from an earlier download are given: `If-None-Match` with its ETag,
 * `If-Modified-Since` with its Last-Modified (RFC 9110 §13.1.2, §13.1.3). A `304 Not Modified`
 * then means the copy held is still current; it costs the server no document and the SP no parse.
 * A 304 to a request that was not conditional is refused.
 *
 * @param url - the metadata URL
 * @param options - the fetch to use, the limits, and the validators of the copy held
 * @returns the document and its validators, or `{ modified: false }` for a 304
 * @throws SamlError `CONFIG_INVALID` (not an https URL), `METADATA_FETCH_FAILED` (network error,
 *   refused redirect, error status, an unasked-for 304, timeout), `XML_TOO_LARGE` (body over the
 *   cap)
 */
export async function fetchMetadataDocument(
  url: string,
  options: FetchMetadataDocumentOptions,
): Promise<MetadataDownload> {
  const devHttp = options.allowInsecureHttpForDevelopment === true;
  const parsed = checkMetadataUrl(url, {
    signed: options.signatureChecked === true,
    devHttp,
    signedMeans: 'signed metadata checked with a pinned key',
    hint: 'over http anyone on the path can swap the IdP certificate; use https, or save the metadata and load the file (allowInsecureHttpForDevelopment allows http, for local development only)',
  });
  const maxSize = options.maxSize ?? DEFAULT_XML_LIMITS.maxSize;
  const etag = options.validators?.etag;
  const lastModified = options.validators?.lastModified;
  const conditional = etag !== undefined || lastModified !== undefined;
  const res = await fetchOutbound(url, {
    fetch: options.fetch,
    method: 'GET',
    headers: {
      accept: 'application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1',
      // RFC 9110 §13.1.2, §13.1.3: the validators exactly as the server sent them.
      ...(etag !== undefined && { 'if-none-match': etag }),
      ...(lastModified !== undefined && { 'if-modified-since': lastModified }),
    },
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    // maxSize counts UTF-16 code units, each at most 3 UTF-8 bytes: the byte cap cannot refuse a
    // document the parser would take, and parseXml applies maxSize exactly afterwards.
    maxBytes: maxSize * 3,
    maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
    firstMayBeHttp: parsed.protocol === 'http:',
    ...(devHttp ? { allowInsecureHttpForDevelopment: true } : {}),
    failureCode: 'METADATA_FETCH_FAILED',
    what: 'the metadata',
  });
  if (res.status === 304) {
    // RFC 9110 §15.4.5: 304 answers a conditional GET only; the held copy stays current.
    if (conditional) return { modified: false, validators: validatorsOf(res.headers) };
    throw new SamlError('METADATA_FETCH_FAILED', 'The metadata URL answered 304 unasked.', {
      expected: `HTTP 200 with the metadata from ${url}`,
      found: 'HTTP 304 Not Modified to a request that was not conditional',
      hint: 'a cache or proxy between this server and the IdP answers wrongly; check it',
    });
  }
  if (res.status < 200 || res.status >= 300) {
    throw new SamlError('METADATA_FETCH_FAILED', 'The metadata URL answered with an error.', {
      expected: `HTTP 200 from ${url}`,
      found: `HTTP ${res.status} ${res.statusText}`.trim(),
      hint: 'check the URL in the IdP’s admin console; some IdPs need an app or tenant ID in it',
    });
  }
  return { modified: true, xml: res.text, validators: validatorsOf(res.headers) };
}
