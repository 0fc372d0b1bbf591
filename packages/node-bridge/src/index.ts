// Node's IncomingMessage/ServerResponse ⇄ web Request/Response: translation only (and, in
// shutdown.ts, closeGracefully, which express and koa re-export). Internal to the repository:
// @samlkit/express, @samlkit/koa, @samlkit/fastify and @samlkit/passport bundle it, declarations
// included (tsup.base.ts `bundledNodeBridge`); the fetch package's tests and the benchmark server
// import it from source. Never published.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import {
  attachRequestBody,
  createServiceProvider,
  SamlError,
  type ServiceProvider,
  type ServiceProviderOptions,
  type SessionOption,
  type SessionRecord,
} from '@samlkit/core';

import { nodeCryptoProvider } from './node-crypto.js';

export { nodeCryptoProvider } from './node-crypto.js';
export type { ClosableStore, CloseGracefullyOptions, CloseGracefullyResult } from './shutdown.js';
export { closeGracefully } from './shutdown.js';

/** A `Host` header value that can be put in a URL (host name or [IPv6], optional port). */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The URL of the request as this server received it. The origin comes from the socket and the
 * `Host` header; samlkit ignores it (it uses the configured base URL) unless `trustProxy` is set,
 * in which case it reads the forwarded headers itself.
 */
export function requestUrl(req: IncomingMessage, pathAndQuery: string = req.url ?? '/'): string {
  const tls = (req.socket as TLSSocket | undefined)?.encrypted === true;
  const host = req.headers.host;
  const origin = `${tls ? 'https' : 'http'}://${host && HOST.test(host) ? host : 'localhost'}`;
  return new URL(pathAndQuery.startsWith('/') ? pathAndQuery : `/${pathAndQuery}`, origin).href;
}

/** The request headers as web `Headers` (HTTP/2 pseudo-headers left out). */
export function requestHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}

/**
 * A body that a body parser already read, put back into its wire form: a string or bytes as they
 * are, a parsed form (`express.urlencoded()`, koa-bodyparser) re-encoded field by field (repeated
 * fields stay repeated, so samlkit still sees them).
 */
export function reencodeBody(parsed: unknown): string | Uint8Array<ArrayBuffer> | undefined {
  if (parsed === undefined || parsed === null) return undefined;
  if (typeof parsed === 'string') return parsed;
  if (parsed instanceof Uint8Array) return new Uint8Array(parsed);
  if (typeof parsed !== 'object') return undefined;
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value === 'string') form.append(name, value);
    else if (Array.isArray(value)) {
      for (const v of value) if (typeof v === 'string') form.append(name, v);
    }
  }
  return form.toString();
}

/** How the body of a request reaches samlkit. */
export type BodySource =
  /** No body (the session helpers, which read only headers). */
  | false
  /** Streamed from the socket unless `consumed` says a body parser read it into `parsed`. */
  | { readonly consumed: boolean; readonly parsed?: unknown };

/**
 * Builds the web `Request`. The body is streamed from the socket (samlkit caps what it reads),
 * unless `consumed` says a body parser has read it already, in which case `parsed` is used.
 */
export function toWebRequest(
  req: IncomingMessage,
  url: string,
  body: BodySource,
  headers: Headers = requestHeaders(req),
): Request {
  const method = (req.method ?? 'GET').toUpperCase();
  if (body === false || method === 'GET' || method === 'HEAD') {
    return new Request(url, { method, headers });
  }
  if (body.consumed) {
    const content = reencodeBody(body.parsed);
    headers.delete('content-length'); // the re-encoded form may differ in length
    return new Request(url, {
      method,
      headers,
      ...(content !== undefined ? { body: content } : {}),
    });
  }
  const stream = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
  return new Request(url, { method, headers, body: stream, duplex: 'half' } as RequestInit);
}

/**
 * Request bodies that declare at most this many bytes (`Content-Length`) are read whole before the
 * web `Request` is built, instead of being streamed to samlkit through a Node ⇄ Web stream
 * adapter. Far below samlkit's own cap (2 MiB), so samlkit still sees every byte and applies its
 * limit; a small SAML form (a few KiB) then costs one array instead of a stream per request.
 */
export const SMALL_BODY_BYTES: number = 64 * 1024;

/** The declared body length when it is a plain decimal of at most `SMALL_BODY_BYTES`. */
function smallDeclaredLength(req: IncomingMessage): number | undefined {
  // RFC 9112 §6.2-6.3: with Transfer-Encoding the length is the chunked framing's, not this.
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  const declared = req.headers['content-length'];
  if (declared === undefined || !/^\d{1,6}$/.test(declared)) return undefined;
  const length = Number(declared);
  return length <= SMALL_BODY_BYTES ? length : undefined;
}

/**
 * Reads a body of exactly `length` bytes into one array, holding only what has arrived (nothing is
 * reserved for a body that has not come). Node's HTTP parser never delivers more than
 * Content-Length; a body that is longer or shorter than declared, a connection lost mid-body, or a
 * request already aborted or read to its end by the time this is called rejects (never waits).
 */
function readDeclaredBody(req: IncomingMessage, length: number): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const refuse = (found: string) =>
      new SamlError('BINDING_INVALID', 'The request body could not be read.', {
        expected: `a request body of ${length} bytes (its Content-Length)`,
        found,
        hint: 'the client closed the connection or sent a body that does not match its Content-Length',
      });
    if (req.destroyed || req.readableAborted || req.readableEnded) {
      reject(refuse(req.readableEnded ? 'a body already read to its end' : 'an aborted request'));
      return;
    }
    const chunks: Uint8Array[] = [];
    let filled = 0;
    const done = (error?: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) {
        reject(error);
        return;
      }
      const out = new Uint8Array(filled);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.byteLength;
      }
      resolve(out);
    };
    const onData = (chunk: Buffer | string) => {
      if (typeof chunk === 'string' || filled + chunk.byteLength > length) {
        req.pause();
        done(refuse(`more than ${length} bytes`));
        return;
      }
      chunks.push(chunk);
      filled += chunk.byteLength;
    };
    const onEnd = () =>
      filled === length ? done() : done(refuse(`${filled} bytes before the body ended`));
    const onError = (error: Error) => done(error);
    const onClose = () => done(refuse(`the connection closed after ${filled} bytes`));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * The bytes of a small unread body (one whose `Content-Length` is at most
 * {@link SMALL_BODY_BYTES}), read whole; undefined when the body goes as in `toWebRequest`
 * (none, without a length, larger, or already read by a body parser).
 */
function smallBody(
  req: IncomingMessage,
  body: BodySource,
): Promise<Uint8Array<ArrayBuffer>> | undefined {
  const method = (req.method ?? 'GET').toUpperCase();
  if (body === false || body.consumed || method === 'GET' || method === 'HEAD') return undefined;
  const length = smallDeclaredLength(req);
  return length === undefined ? undefined : readDeclaredBody(req, length);
}

/**
 * The web `Request` with a small unread body read first: given to the `Request` as bytes, or —
 * `attach` — handed to samlkit with `attachRequestBody` (the `Request` itself has none). Other
 * bodies go as in `toWebRequest`.
 */
async function requestWithSmallBody(
  req: IncomingMessage,
  url: string,
  body: BodySource,
  headers: Headers,
  attach: boolean,
): Promise<Request> {
  const bytes = smallBody(req, body);
  if (bytes === undefined) return toWebRequest(req, url, body, headers);
  const method = (req.method ?? 'GET').toUpperCase();
  if (attach) return attachRequestBody(new Request(url, { method, headers }), await bytes);
  return new Request(url, { method, headers, body: await bytes });
}

/**
 * Builds the web `Request` as {@link toWebRequest} does, except that a small unread body is read
 * first and given to the `Request` as bytes (no Node ⇄ web stream adapter). For servers of any
 * Fetch-API handler, whose routes may read the body themselves.
 */
export function readWebRequest(
  req: IncomingMessage,
  url: string,
  body: BodySource,
  headers: Headers = requestHeaders(req),
): Promise<Request> {
  return requestWithSmallBody(req, url, body, headers, false);
}

/**
 * The web `Request` of a request for a SAML endpoint: as {@link readWebRequest}, except that a
 * small body is handed to samlkit with `attachRequestBody` (the `Request` itself has none), which
 * spares samlkit the stream a `Request` body is. Only samlkit reads these requests' bodies.
 */
export function readSamlRequest(
  req: IncomingMessage,
  url: string,
  body: BodySource,
  headers: Headers = requestHeaders(req),
): Promise<Request> {
  return requestWithSmallBody(req, url, body, headers, true);
}

/**
 * The headers of a web `Response` as a framework writes them: every header but `Set-Cookie`
 * (and `Content-Length` when `withLength` is false, for frameworks that compute it), then the
 * `Set-Cookie` lines, kept separate.
 */
export function responseHeaders(
  response: Response,
  withLength = true,
): { readonly headers: [string, string][]; readonly cookies: string[] } {
  const headers: [string, string][] = [];
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie' || (!withLength && name === 'content-length')) return;
    headers.push([name, value]);
  });
  return { headers, cookies: response.headers.getSetCookie() };
}

/** The body of a web `Response` as bytes, or undefined when it has none. */
export async function responseBody(response: Response): Promise<Uint8Array | undefined> {
  return response.body ? new Uint8Array(await response.arrayBuffer()) : undefined;
}

/**
 * Writes a web `Response` to a Node `ServerResponse`. `Set-Cookie` values stay separate, after
 * any the application set already.
 */
export async function writeWebResponse(res: ServerResponse, response: Response): Promise<void> {
  // A body-less answer (the ACS's 303) is written in the same turn, without awaiting a body.
  const body = response.body === null ? undefined : await responseBody(response);
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) {
    const prior = res.getHeader('set-cookie');
    const before = prior === undefined ? [] : Array.isArray(prior) ? prior : [String(prior)];
    res.setHeader('set-cookie', before.length === 0 ? cookies : [...before, ...cookies]);
  }
  res.end(body);
}

/**
 * A node:http request listener that serves a Fetch-API handler (what `@hono/node-server` and
 * similar servers do): the request streamed in, the response written back. A handler that throws
 * gets a bare 500 and `onError` hears of it.
 */
export function fetchListener(
  handler: (request: Request) => Response | Promise<Response>,
  onError: (error: unknown) => void = () => {},
): RequestListener {
  return (req, res) => {
    readWebRequest(req, requestUrl(req), { consumed: false })
      .then(handler)
      .then((response) => writeWebResponse(res, response))
      .catch((error: unknown) => {
        onError(error);
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
  };
}

/** An adapter's options: samlkit's, with `session` in terms of the framework's request object. */
export type ContextProviderOptions<Context> = ServiceProviderOptions & SessionOption<Context>;

/**
 * Creates the core service provider for an adapter whose framework has a request object of its
 * own (Express `req`, Koa `ctx`, Fastify `request`). The `session` option, written against that
 * object, reaches core as the option over web `Request`s: `bind` remembers which framework object
 * a web `Request` was built from, and the core option's `get` and `set` find it through that.
 * Without a `crypto` option the provider uses {@link nodeCryptoProvider} (Node's WebCrypto with
 * digests and signature checks computed synchronously by node:crypto).
 * @throws TypeError when `session` lacks a `get` or `set` function; SamlError `CONFIG_INVALID` as
 *   `createServiceProvider`
 */
export function createContextProvider<Context extends object>(
  adapter: string,
  options: ContextProviderOptions<Context>,
): { readonly provider: ServiceProvider; bind(request: Request, context: Context): Request } {
  const { session: storage, ...given } = options;
  const spOptions: ServiceProviderOptions =
    given.crypto === undefined ? { ...given, crypto: nodeCryptoProvider() } : given;
  if (storage === undefined) {
    return { provider: createServiceProvider(spOptions), bind: (request) => request };
  }
  if (typeof storage?.get !== 'function' || typeof storage.set !== 'function') {
    throw new TypeError(
      `${adapter}: session must have get(context) and set(context, id) functions`,
    );
  }
  const contexts = new WeakMap<Request, Context>();
  const contextOf = (request: Request): Context => {
    const context = contexts.get(request);
    // Every Request the provider sees was built (and bound) by the adapter.
    if (context === undefined)
      throw new TypeError(`${adapter}: a request the adapter did not build`);
    return context;
  };
  const provider = createServiceProvider({
    ...spOptions,
    session: {
      get: (request) => storage.get(contextOf(request)),
      set: (request, sessionId) => storage.set(contextOf(request), sessionId),
    },
  });
  return {
    provider,
    bind(request, context) {
      contexts.set(request, context);
      return request;
    },
  };
}

/** The path of a request target (`/saml/acs?finish=…` → `/saml/acs`), to match the SAML endpoints. */
export function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}

/**
 * What a `loadSession` middleware does: the request's session if any, or — when the store cannot
 * be read — samlkit's error page (503) to send instead of an exception in the application's route.
 */
export async function loadSessionOrPage(
  provider: ServiceProvider,
  request: Request,
): Promise<{ readonly session?: SessionRecord; readonly response?: Response }> {
  try {
    const session = await provider.getSession(request);
    return session ? { session } : {};
  } catch (error) {
    return { response: await provider.errorResponse(error, request) };
  }
}
