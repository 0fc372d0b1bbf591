// The Koa guide before `createSamlKoa`: the app, the options of section 1, a secret.
import type { SamlKoaOptions } from '@samlkit/koa';
import type Koa from 'koa';

export declare const app: Koa;
export declare const options: SamlKoaOptions;
export declare const secret: string;
