// docs/getting-started-fetch.md, "your own session library": the Hono app, the options of
// section 1 and a session helper of the application's own, reached through Hono's context.
import type { ServiceProviderOptions } from '@samlkit/core';
import type * as H from 'hono';

export declare const app: H.Hono;
export declare const options: ServiceProviderOptions;
export declare const mySession: {
  get(c: H.Context, key: string): string | undefined;
  set(c: H.Context, key: string, value: string): void;
  delete(c: H.Context, key: string): void;
  regenerate(c: H.Context): Promise<void>;
};
