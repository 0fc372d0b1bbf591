// docs/getting-started-fetch.md, "your own session library": the Hono app, samlkit's handlers and
// a session helper of the application's own.
import type { SamlHandlers } from '@samlkit/fetch';
import type { Context, Hono } from 'hono';

export declare const app: Hono;
export declare const saml: SamlHandlers;
export declare const mySession: {
  get(c: Context, key: string): string | undefined;
  set(c: Context, key: string, value: string): void;
  regenerate(c: Context): Promise<void>;
};
