import { isSamlError, SamlError } from '../errors.js';
import { ERROR_CLASSES } from '../lib/error-classes.js';
import { type FormFields, parseForm } from '../lib/form.js';
import { escapeHtml } from '../lib/html.js';
import { readCapped } from '../lib/stream.js';

/** Security headers for every page samlkit renders. @internal */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

const PAGE_HEADER_PAIRS: readonly [string, string][] = Object.entries(PAGE_HEADERS);

/**
 * The HTTP status for an error: 400 malformed input, 401 no session, 403 a message or login that
 * was refused, 503 store unreachable, 500 anything else (per code: lib/error-classes.ts).
 * @internal
 */
export function statusForError(error: unknown): number {
  return isSamlError(error) ? ERROR_CLASSES[error.code].http : 500;
}

/**
 * The short text users see per class of failure; operators read the logs. With `signInAgain` the
 * failed login cannot be finished any more (whatever it was: the pending request may be spent), so
 * the page never says "try again" — it offers a fresh login instead.
 */
function userMessage(error: SamlError | undefined, status: number, signInAgain: boolean): string {
  if (!error) return 'Something went wrong on our side. Please try again later.';
  if (error.code === 'LOGIN_REFUSED') {
    const shown = error.details.userMessage;
    return typeof shown === 'string' && shown !== '' ? shown : 'Sign-in was refused.';
  }
  if (error.code === 'LOGIN_BINDING_MISMATCH') {
    return 'This sign-in was not started in this browser, or it was already completed. Please sign in again.';
  }
  if (error.code === 'STEP_UP_USER_MISMATCH') {
    return 'You confirmed your sign-in as a different user. You are still signed in as before.';
  }
  if (signInAgain) {
    if (status === 503) {
      return 'Sign-in could not be completed because a service is temporarily unavailable. Please sign in again in a moment.';
    }
    if (status === 400) return 'The sign-in message could not be read. Please sign in again.';
    return 'Sign-in could not be completed. Please sign in again.';
  }
  if (status === 503) return 'Sign-in is temporarily unavailable. Please try again in a moment.';
  if (status === 400) return 'The sign-in message could not be read.';
  if (status === 401) return 'You are not signed in.';
  if (status === 500) return 'Sign-in is not set up correctly. Please contact the administrator.';
  return 'Sign-in failed. Please try again.';
}

/** Whether the client prefers JSON (an API call) over HTML. @internal */
export function wantsJson(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  const json = accept.indexOf('application/json');
  if (json === -1) return false;
  const html = accept.indexOf('text/html');
  return html === -1 || json < html;
}

/**
 * The default error page's style sheet. It is inline, so the page's Content-Security-Policy
 * allows exactly it by hash ({@link ERROR_PAGE_STYLE_HASH}; a test keeps the two equal).
 * @internal
 */
export const ERROR_PAGE_STYLE: string =
  'body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;background:#f6f8fa;margin:0}' +
  'main{max-width:32rem;margin:12vh auto 0;padding:1.5rem 2rem;background:#fff;border:1px solid #d0d7de;border-radius:8px}' +
  'h1{font-size:1.375rem;margin:0 0 .75rem}p{margin:.5rem 0}.code{color:#59636e;font-size:.875rem}' +
  'nav{margin-top:1.25rem}nav a{color:#0969da;margin-right:1.25rem}';

/** The CSP source of {@link ERROR_PAGE_STYLE}: `'sha256-…'` of its UTF-8 bytes. @internal */
export const ERROR_PAGE_STYLE_HASH: string =
  "'sha256-nUsNNCBnU5hWJRL6o/atFbsLw5iepY61AXBRROD+e0w='";

/** Where the default error page leads: the application's home page and the login endpoint. */
export interface ErrorPageLinks {
  /** The home page (the SP's `defaultReturnTo`). */
  readonly home: string;
  /** The login endpoint (`paths.login`): "Sign in again". */
  readonly login: string;
}

/**
 * The default error response: a short escaped HTML page (or JSON) with the code, a generic
 * message and a way forward (sign in again, home); never the details, which go to the operator
 * log. Applications render their own page with the `renderError` option. With `signInAgain` (a
 * same-origin URL starting a fresh login to where a failed ACS step was going) the page and the
 * JSON body offer it, and the page says "sign in again" rather than "try again".
 * @internal
 */
export function defaultErrorResponse(
  error: unknown,
  request: Request,
  status: number,
  links: ErrorPageLinks = { home: '/', login: '/saml/login' },
  signInAgain?: string,
): Response {
  const saml = isSamlError(error) ? error : undefined;
  const offer = signInAgain !== undefined && status !== 500 && saml?.code !== 'LOGIN_REFUSED';
  const message = userMessage(saml, status, offer);
  const code = saml?.code ?? 'INTERNAL_ERROR';
  if (wantsJson(request)) {
    const body = { code, message, ...(offer ? { signInAgain } : {}) };
    return new Response(JSON.stringify({ error: body }), {
      status,
      headers: { ...PAGE_HEADERS, 'content-type': 'application/json; charset=utf-8' },
    });
  }
  const refused = status === 403 && code === 'LOGIN_REFUSED';
  const title = refused ? 'Sign-in refused' : 'Sign-in problem';
  // A refused user would only be refused again; everyone else may try once more.
  const again =
    refused || status === 500
      ? ''
      : `<a href="${escapeHtml(offer ? (signInAgain ?? links.login) : links.login)}">${status === 401 ? 'Sign in' : 'Sign in again'}</a>`;
  const body =
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${ERROR_PAGE_STYLE}</style></head><body><main>\n` +
    `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n` +
    `<p class="code">Error code: <code>${escapeHtml(code)}</code></p>\n` +
    `<nav>${again}<a href="${escapeHtml(links.home)}">Home</a></nav>\n</main></body></html>\n`;
  return htmlResponse(body, status, {
    'content-security-policy': `default-src 'none'; style-src ${ERROR_PAGE_STYLE_HASH}`,
  });
}

/** An HTML response with the page headers. @internal */
export function htmlResponse(
  body: string,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(body, {
    status,
    headers: { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8', ...headers },
  });
}

/** A redirect (303 See Other by default) with optional Set-Cookie values. @internal */
export function redirectResponse(
  location: string,
  setCookies: readonly string[] = [],
  status = 303,
): Response {
  // One list of pairs: the Response builds its Headers once (no intermediate Headers object).
  const headers: [string, string][] = [...PAGE_HEADER_PAIRS, ['location', location]];
  for (const c of setCookies) headers.push(['set-cookie', c]);
  return new Response(null, { status, headers });
}

/** 405 with an Allow header. @internal */
export function methodNotAllowed(allow: readonly string[]): Response {
  return new Response('Method Not Allowed\n', {
    status: 405,
    headers: {
      ...PAGE_HEADERS,
      allow: allow.join(', '),
      'content-type': 'text/plain; charset=utf-8',
    },
  });
}

/** The most bytes a form or SOAP body may have (a large encrypted Response fits in 1 MiB of XML). */
export const MAX_BODY_BYTES: number = 2 * 1024 * 1024;

/** Bodies a server read before building the web `Request` (see {@link attachRequestBody}). */
const attachedBodies = new WeakMap<Request, Uint8Array>();

/** UTF-8, replacing malformed sequences (a form or SOAP body is checked after decoding). */
const bodyDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Hands samlkit a request body the server has already read, with a web `Request` built without
 * one: samlkit then reads these bytes wherever it would read `request.body` (the ACS form, the SLO
 * endpoint's form or SOAP envelope), with the same size limit. A Node server that has the whole
 * body of a small request in memory saves building a stream for it; the samlkit Node adapters do
 * this for bodies of at most 64 KiB.
 *
 * The bytes are not copied: do not change them afterwards. Application hooks that read
 * `request.body` of such a request find none.
 *
 * @param request - a web `Request` without a body (`request.body === null`)
 * @param body - the request's body as received
 * @returns the same `request`
 * @throws TypeError when the request has a body of its own
 * @example A Node request listener that read the body first
 * ```ts
 * const request = attachRequestBody(new Request(url, { method: 'POST', headers }), bytes);
 * const response = await provider.handle(request);
 * ```
 */
export function attachRequestBody(request: Request, body: Uint8Array): Request {
  if (request.body !== null) {
    throw new TypeError('attachRequestBody: the Request has a body of its own');
  }
  attachedBodies.set(request, body);
  return request;
}

/**
 * Reads a request body as text with a size cap, refusing before buffering when Content-Length
 * already says too much. A body given by {@link attachRequestBody} is read instead of the stream.
 * @throws SamlError `XML_TOO_LARGE`
 * @internal
 */
export async function readBody(
  request: Request,
  maxBytes: number = MAX_BODY_BYTES,
): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  const tooLarge = (found: string) =>
    new SamlError('XML_TOO_LARGE', 'The request body is larger than the limit.', {
      expected: `at most ${maxBytes} bytes`,
      found,
    });
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(`${declared} bytes`);
  const attached = attachedBodies.get(request);
  if (attached !== undefined) {
    if (attached.byteLength > maxBytes) throw tooLarge(`${attached.byteLength} bytes`);
    return bodyDecoder.decode(attached);
  }
  if (!request.body) return '';
  const all = await readCapped(request.body, maxBytes, () =>
    tooLarge(`more than ${maxBytes} bytes`),
  );
  return bodyDecoder.decode(all);
}

/**
 * Reads an `application/x-www-form-urlencoded` body, refusing repeated SAML parameters.
 * @throws SamlError `BINDING_INVALID`, `XML_TOO_LARGE`
 * @internal
 */
export async function readForm(request: Request): Promise<FormFields> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new SamlError('BINDING_INVALID', 'The POST is not an HTML form submission.', {
      expected: 'Content-Type application/x-www-form-urlencoded (SAML bindings §3.5.4)',
      found: type === '' ? 'no Content-Type' : type,
    });
  }
  const form = parseForm(await readBody(request));
  for (const name of ['SAMLRequest', 'SAMLResponse', 'RelayState']) {
    const count = form.getAll(name).length;
    if (count > 1) {
      throw new SamlError('BINDING_INVALID', `The form carries ${name} more than once.`, {
        expected: `at most one ${name} field`,
        found: `${count}`,
      });
    }
  }
  return form;
}
