// Node's IncomingMessage → web Request: translation only (the same
// translation @samlkit/express and @samlkit/fastify make for their frameworks).
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';

/** A `Host` header value that can be put in a URL (host name or [IPv6], optional port). */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The URL of the request as this server received it. The origin comes from the socket and the
 * `Host` header; samlkit ignores it (it uses the configured base URL) unless `trustProxy` is set,
 * in which case it reads the forwarded headers itself.
 */
export function requestUrl(req: IncomingMessage, pathAndQuery: string): string {
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

/**
 * Builds the web `Request`. The body is streamed from the socket (samlkit caps what it reads),
 * unless `consumed` says a body parser has read it already, in which case `parsedBody` is used.
 */
export function toWebRequest(
  req: IncomingMessage,
  url: string,
  body: { readonly consumed: boolean; readonly parsed?: unknown } | false,
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
