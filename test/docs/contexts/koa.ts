// The Koa guide: the service-provider settings built as in the Express guide, a secret and the
// handlers the text names.
import type * as S from '@samlkit/core';
import type { Middleware } from 'koa';

export declare const sp: S.ServiceProviderOptions['sp'];
export declare const idps: S.ServiceProviderOptions['idps'];
export declare const store: S.SamlStore;
export declare const secret: string;
export declare const pay: Middleware;
