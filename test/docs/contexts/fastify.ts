// The Fastify guide: the service-provider settings built as in the Express guide, and a secret.
import type * as S from '@samlkit/core';
import type { RouteHandlerMethod } from 'fastify';

export declare const sp: S.ServiceProviderOptions['sp'];
export declare const idps: S.ServiceProviderOptions['idps'];
export declare const store: S.SamlStore;
export declare const secret: string;
export declare const pay: RouteHandlerMethod;
