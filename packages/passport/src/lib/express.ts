// Express request/response helpers of the strategy: the web Request core sees, cookies, logout.
import type { ServerResponse } from 'node:http';
import { requestUrl, toWebRequest } from '@samlkit/node-bridge';
import type { Request as ExpressRequest } from 'express';
import type { PassportSamlProfile } from '../profile.js';
import type {
  Callbacks,
  VerifiedCallback,
  VerifyFunction,
  VerifyWithoutRequest,
  VerifyWithRequest,
} from '../types.js';

export function call(
  callbacks: Callbacks,
  fn: VerifyFunction,
  req: ExpressRequest,
  profile: PassportSamlProfile,
): Promise<{ user: unknown; info: unknown }> {
  return new Promise((resolve, reject) => {
    let called = false;
    const done: VerifiedCallback = (err, user, info) => {
      if (called) return;
      called = true;
      if (err) reject(err);
      else resolve({ user, info });
    };
    try {
      if (callbacks.passReqToCallback) (fn as VerifyWithRequest)(req, profile, done);
      else (fn as VerifyWithoutRequest)(profile, done);
    } catch (error) {
      reject(error);
    }
  });
}

export function messageOf(info: unknown): string | undefined {
  if (typeof info === 'string') return info;
  if (
    info &&
    typeof info === 'object' &&
    typeof (info as { message?: unknown }).message === 'string'
  ) {
    return (info as { message: string }).message;
  }
  return undefined;
}

export function pathOf(req: ExpressRequest): string {
  const raw = req.originalUrl ?? req.url;
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

export function toWeb(req: ExpressRequest, withBody: boolean): Request {
  const url = requestUrl(req, req.originalUrl ?? req.url);
  // A body parser that read the body (passport-saml needed express.urlencoded()) leaves it parsed.
  const consumed =
    (req as { _body?: unknown })._body === true ||
    req.readableEnded ||
    (req.complete && !req.readable);
  return toWebRequest(req, url, withBody ? { consumed, parsed: req.body as unknown } : false);
}

export function responseOf(req: ExpressRequest): ServerResponse {
  const res = (req as { res?: ServerResponse }).res;
  if (!res)
    throw new TypeError(
      '@samlkit/passport: req.res is missing (the strategy runs under Express or Connect)',
    );
  return res;
}

export function appendCookies(res: ServerResponse, lines: readonly string[]): void {
  if (lines.length === 0) return;
  const prior = res.getHeader('set-cookie');
  const before = prior === undefined ? [] : Array.isArray(prior) ? prior : [String(prior)];
  res.setHeader('set-cookie', [...before, ...lines]);
}

export function readCookie(req: ExpressRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function passportLogout(req: ExpressRequest): Promise<void> {
  const r = req as ExpressRequest & {
    isAuthenticated?: () => boolean;
    logout?: (done: (err: unknown) => void) => void;
  };
  if (
    typeof r.isAuthenticated !== 'function' ||
    !r.isAuthenticated() ||
    typeof r.logout !== 'function'
  ) {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    r.logout!((err) => (err ? reject(err) : resolve()));
  });
}

export function queryString(req: ExpressRequest, name: string): string | undefined {
  const value = new URL(requestUrl(req, req.originalUrl ?? req.url)).searchParams.get(name);
  return value ?? undefined;
}
