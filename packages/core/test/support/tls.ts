// Real local TLS for transport tests: a self-signed certificate made by openssl for 127.0.0.1 and
// localhost, https servers on 127.0.0.1, and a `fetch` over node:https that trusts exactly that
// certificate (Node's global fetch cannot be given a CA). The fetch follows no redirects itself,
// as `redirect: 'manual'` asks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

export interface SelfSigned {
  readonly key: string;
  readonly cert: string;
}

/** A fresh self-signed certificate (EC P-256) for 127.0.0.1 and localhost. */
export function makeSelfSigned(): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'samlkit-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts an https server on 127.0.0.1; resolves to it and its origin. */
export async function listenHttps(
  tls: SelfSigned,
  handler: RequestListener,
): Promise<{ server: Server; origin: string }> {
  const server = createServer({ key: tls.key, cert: tls.cert }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Counts the body bytes samlkit actually pulled from the network, per fetch made. */
export interface ByteCounter {
  read: number;
}

/**
 * A `fetch` over node:http / node:https that trusts `tls.cert` (and nothing else) for https.
 * `counter.read` grows by every body byte the caller reads. Redirects behave as in the Fetch
 * standard: followed for `redirect: 'follow'` (the default), an error for `'error'`, handed back
 * for `'manual'`.
 */
export function trustingFetch(
  tls: SelfSigned,
  counter: ByteCounter = { read: 0 },
): (url: string, init: RequestInit) => Promise<Response> {
  const once = oneRequest(tls, counter);
  return async (url, init) => {
    let current = url;
    for (let hop = 0; hop <= 20; hop++) {
      const response = await once(current, init);
      const location = response.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(response.status) || location === null) {
        return response;
      }
      if (init.redirect === 'manual') return response;
      await response.body?.cancel();
      if (init.redirect === 'error') throw new TypeError('fetch failed: redirect');
      current = new URL(location, current).href;
    }
    throw new TypeError('fetch failed: redirect count exceeded');
  };
}

function oneRequest(
  tls: SelfSigned,
  counter: ByteCounter,
): (url: string, init: RequestInit) => Promise<Response> {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((v, k) => {
        headers[k] = v;
      });
      const options = { method: init.method ?? 'GET', headers, signal: init.signal ?? undefined };
      const onResponse = (res: IncomingMessage) => {
        const responseHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v === undefined) continue;
          if (Array.isArray(v)) for (const x of v) responseHeaders.append(k, x);
          else responseHeaders.set(k, v);
        }
        const web = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
        const counting = web.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              counter.read += chunk.length;
              controller.enqueue(chunk);
            },
          }),
        );
        const status = res.statusCode ?? 0;
        const nullBody = status === 204 || status === 304 || init.method === 'HEAD';
        resolve(
          new Response(nullBody ? null : counting, {
            status,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders,
          }),
        );
      };
      const req =
        target.protocol === 'https:'
          ? httpsRequest(target, { ...options, ca: tls.cert }, onResponse)
          : httpRequest(target, options, onResponse);
      req.on('error', reject);
      if (typeof init.body === 'string') req.end(init.body);
      else req.end();
    });
}
