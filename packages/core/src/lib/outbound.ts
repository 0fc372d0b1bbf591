// Every HTTP request samlkit itself makes (IdP metadata, ArtifactResolve, SOAP back-channel)
// goes through fetchOutbound: redirects are followed by hand, only to https and at most a few
// hops, and the body is capped while it streams.
import { describeValue, SamlError } from '../errors.js';
import { createPieceDecoder } from './utf8-pieces.js';

/** The `fetch` samlkit calls: the runtime's global one, or one with a proxy, agent or client TLS. */
export type OutboundFetch = (url: string, init: RequestInit) => Promise<Response>;

/** Redirects followed at most by default (metadata URLs behind a CDN or a login front-end). */
export const DEFAULT_MAX_REDIRECTS = 5;

/** What {@link fetchOutbound} needs. @internal */
export interface OutboundRequest {
  readonly fetch: OutboundFetch;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal: AbortSignal;
  /** The body is refused (`XML_TOO_LARGE`) once more than this many bytes arrived. */
  readonly maxBytes: number;
  /** Redirects to follow; 0 refuses any redirect. */
  readonly maxRedirects: number;
  /**
   * `allowInsecureHttpForDevelopment`: plain http anywhere in the chain. **Development only**:
   * anyone on the network path can read and replace what travels over http.
   */
  readonly allowInsecureHttpForDevelopment?: boolean;
  /**
   * The first URL may be plain http (the caller vetted it, for example signed metadata on a
   * loopback host). A redirect may still never go from https to http.
   */
  readonly firstMayBeHttp?: boolean;
  /** The code of transport failures. */
  readonly failureCode: 'METADATA_FETCH_FAILED' | 'HTTP_REQUEST_FAILED';
  /** What is fetched, for messages ("the metadata", "the SOAP answer"). */
  readonly what: string;
  /** Read the body of a non-2xx answer too (a SOAP fault); otherwise it is discarded unread. */
  readonly readErrorBody?: boolean;
}

/** What {@link fetchOutbound} returns. @internal */
export interface OutboundResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** The URL that answered, after redirects. */
  readonly url: string;
  /** The body as UTF-8 text ('' for a non-2xx answer unless `readErrorBody`). */
  readonly text: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Whether a URL may be requested: https always; http only with the development option, or for
 * the first URL when the caller allowed it, or after an http hop the caller allowed (never after
 * an https hop: a downgrade is what an attacker on the path would arrange).
 */
function schemeAllowed(url: URL, previous: URL | undefined, request: OutboundRequest): boolean {
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  if (request.allowInsecureHttpForDevelopment) return true;
  if (!request.firstMayBeHttp) return false;
  return previous === undefined || previous.protocol === 'http:';
}

function failure(
  request: OutboundRequest,
  summary: string,
  details: { expected: string; found: string; hint: string; url: string; cause?: unknown },
): SamlError {
  return new SamlError(request.failureCode, summary, details);
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}

/**
 * Reads a body, refusing it as soon as more than `maxBytes` arrived — whether or not the peer
 * declared a `Content-Length` (a declared length over the cap is refused before reading).
 * @throws SamlError `XML_TOO_LARGE`
 * @internal
 */
export async function readBodyCapped(
  response: Response,
  maxBytes: number,
  what: string,
  url: string,
): Promise<string> {
  const tooLarge = (found: string) =>
    new SamlError('XML_TOO_LARGE', `${capitalise(what)} is larger than the size limit.`, {
      expected: `at most ${maxBytes} bytes`,
      found,
      hint: 'raise limits.maxSize only if this peer legitimately sends documents this large (a federation aggregate does)',
      url,
    });
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await discard(response);
    throw tooLarge(`Content-Length ${declared}`);
  }
  if (!response.body) return '';
  // Each chunk is decoded as it arrives (a UTF-8 sequence split across chunks is carried over)
  // and only the text is kept, joined once at the end: the peak is about the text twice, not the
  // bytes, a joined copy of them and the text at once. Not TextDecoder's stream mode: its pieces
  // join into a two-byte string, twice the memory for ASCII text (lib/utf8-pieces.ts).
  const reader = response.body.getReader();
  const decoder = createPieceDecoder();
  const parts: string[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(`more than ${maxBytes} bytes`);
    }
    parts.push(decoder.push(value));
  }
  parts.push(decoder.end());
  return parts.join('');
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Makes one outbound HTTP request the way samlkit allows: the URL and every redirect target must
 * be https (plain http only with `allowInsecureHttpForDevelopment`, or as the caller's vetted
 * first URL — never after an https hop), redirects are followed by hand up to `maxRedirects`
 * hops (a 303 or a 301/302 after a POST turns into a GET, as RFC 9110 §15.4 describes; samlkit
 * only follows redirects of GETs), and the body is capped while it streams.
 *
 * @throws SamlError `failureCode` (refused URL, redirect to http, too many redirects, network
 *   error, an opaque redirect), `XML_TOO_LARGE` (body over `maxBytes`)
 * @internal
 */
export async function fetchOutbound(
  url: string,
  request: OutboundRequest,
): Promise<OutboundResponse> {
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw failure(request, `The URL of ${request.what} is not a URL.`, {
      expected: 'an absolute https URL',
      found: describeValue(url),
      hint: 'check the URL in the configuration or the peer metadata',
      url,
    });
  }
  let previous: URL | undefined;
  for (let hop = 0; ; hop++) {
    if (!schemeAllowed(current, previous, request)) {
      const redirected = previous !== undefined;
      throw failure(
        request,
        redirected
          ? `The request for ${request.what} was redirected to a URL that is not https.`
          : `The URL of ${request.what} is not https.`,
        {
          expected: 'an https URL',
          found: redirected
            ? `a redirect from ${describeValue(previous!.href)} to ${describeValue(current.href)}`
            : describeValue(current.href),
          hint: redirected
            ? 'over plain http anyone on the path can replace what is fetched; ask the peer to serve it over https (allowInsecureHttpForDevelopment allows http, for local development only)'
            : 'use the https URL of the endpoint (allowInsecureHttpForDevelopment allows http, for local development only)',
          url: current.href,
        },
      );
    }
    let response: Response;
    try {
      response = await request.fetch(current.href, {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        redirect: 'manual',
        signal: request.signal,
      });
    } catch (cause) {
      if (cause instanceof SamlError) throw cause;
      const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
      const inner = (cause as { cause?: { code?: unknown } } | undefined)?.cause?.code;
      throw failure(request, `${capitalise(request.what)} could not be fetched.`, {
        expected: `an HTTP answer from ${describeValue(current.href)}`,
        found: `${describeValue(reason)}${typeof inner === 'string' ? ` (${inner})` : ''}`,
        hint: 'check that this server can reach the URL (DNS, proxy, firewall), that its TLS certificate is trusted by this runtime, and that the timeout is long enough',
        url: current.href,
        cause,
      });
    }
    if (response.type === 'opaqueredirect' || response.status === 0) {
      throw failure(request, `The request for ${request.what} was redirected out of sight.`, {
        expected: 'an answer, or a redirect whose Location can be checked',
        found: 'an opaque redirect (this runtime hides redirect targets)',
        hint: 'configure the final URL of the endpoint, so that no redirect is needed',
        url: current.href,
      });
    }
    if (REDIRECT_STATUSES.has(response.status)) {
      await discard(response);
      const location = response.headers.get('location');
      if (request.method !== 'GET' || request.maxRedirects === 0) {
        throw failure(request, `The request for ${request.what} was redirected.`, {
          expected: 'an answer from the configured URL itself (redirects are not followed here)',
          found: `HTTP ${response.status} to ${describeValue(location ?? '(no Location)')}`,
          hint: 'configure the final URL of the endpoint (from the peer metadata)',
          url: current.href,
        });
      }
      if (hop >= request.maxRedirects) {
        throw failure(request, `The request for ${request.what} was redirected too many times.`, {
          expected: `at most ${request.maxRedirects} redirects`,
          found: `a further HTTP ${response.status} to ${describeValue(location ?? '(no Location)')}`,
          hint: 'the URL redirects in a loop, or through too many hops; configure the final URL',
          url: current.href,
        });
      }
      let next: URL;
      try {
        next = new URL(location ?? '', current);
        if (location === null || location.trim() === '') throw new TypeError('no Location');
      } catch {
        throw failure(request, `The redirect for ${request.what} has no usable Location.`, {
          expected: 'a Location header with a URL (RFC 9110 §10.2.2)',
          found: describeValue(location ?? '(none)'),
          hint: 'the server at this URL is misconfigured; configure the final URL instead',
          url: current.href,
        });
      }
      previous = current;
      current = next;
      continue;
    }
    const ok = response.status >= 200 && response.status < 300;
    let text = '';
    if (ok || request.readErrorBody) {
      try {
        text = await readBodyCapped(response, request.maxBytes, request.what, current.href);
      } catch (cause) {
        if (cause instanceof SamlError) throw cause;
        throw failure(request, `${capitalise(request.what)} could not be read.`, {
          expected: `a complete answer from ${describeValue(current.href)}`,
          found: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
          hint: 'the connection broke or timed out while the body was read; check the timeout',
          url: current.href,
          cause,
        });
      }
    } else {
      await discard(response);
    }
    return {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      url: current.href,
      text,
    };
  }
}
