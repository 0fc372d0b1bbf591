// docs/validation.md: the ACS form, the IdP certificate, the request IDs claimed and the store.
import type * as S from '@samlkit/core';

export declare const form: URLSearchParams;
export declare const idpCertPem: string;
export declare const claimed: string[];
export declare const store: S.SamlStore;
