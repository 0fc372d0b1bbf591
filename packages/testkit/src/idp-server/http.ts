// HTTP plumbing of the test IdP server: pages, cookies, form bodies, redirects and deliveries.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { POST_FORM_SCRIPT_HASH, renderPostForm } from '@samlkit/core';
import type { TestDelivery } from '../idp.js';

export const COOKIE = 'samlkit_idp';
const MAX_BODY = 2 * 1024 * 1024;
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'";

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export function escapeXml(value: string): string {
  return escapeHtml(value);
}

export function page(title: string, body: string): string {
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title>` +
    '<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}' +
    'label{display:block;margin:.6rem 0}input{font-size:1rem}</style></head><body>\n' +
    `<h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>\n`
  );
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(await readText(req));
}

export function send(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': PAGE_CSP,
    ...headers,
  });
  res.end(html);
}

function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
  res.writeHead(303, {
    location,
    'cache-control': 'no-store',
    ...(cookies.length ? { 'set-cookie': cookies } : {}),
  });
  res.end();
}

/** Sends what the in-process IdP produced: a 303 (Redirect) or an auto-submitting form (POST). */
export function deliver(res: ServerResponse, delivery: TestDelivery, cookies: string[] = []): void {
  if (delivery.binding === 'redirect') {
    redirect(res, delivery.url, cookies);
    return;
  }
  if (delivery.binding !== 'post') throw new Error('the browser cannot carry a SOAP message');
  const type = delivery.form.has('SAMLResponse') ? 'SAMLResponse' : 'SAMLRequest';
  const relayState = delivery.form.get('RelayState');
  let html = renderPostForm({
    action: delivery.url,
    type,
    value: delivery.form.get(type)!,
    ...(relayState !== null ? { relayState } : {}),
  });
  // HTTP-POST-SimpleSign (SimpleSign §2.3): the signature fields travel beside the message.
  const extra = ['SigAlg', 'Signature']
    .filter((name) => delivery.form.has(name))
    .map(
      (name) =>
        `<input type="hidden" name="${name}" value="${escapeHtml(delivery.form.get(name)!)}">`,
    )
    .join('');
  if (extra) html = html.replace('</form>', `${extra}</form>`);
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': `default-src 'none'; script-src '${POST_FORM_SCRIPT_HASH}'; form-action ${new URL(delivery.url).origin}; base-uri 'none'`,
    ...(cookies.length ? { 'set-cookie': cookies } : {}),
  });
  res.end(html);
}
