// The Koa guide's application of section 1: `app`, `router`, `saml` and a secret.
import type Router from '@koa/router';
import type { SamlKoa } from '@samlkit/koa';
import type Koa from 'koa';

export declare const app: Koa;
export declare const router: Router;
export declare const saml: SamlKoa;
export declare const secret: string;
