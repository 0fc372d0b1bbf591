// docs/validation.md: the ACS form, the IdP certificate, the pending request and the store.
import type * as S from '@samlkit/core';

export declare const form: URLSearchParams;
export declare const idpCertPem: string;
export declare const pending: Awaited<ReturnType<S.SamlStore['takePendingRequest']>>;
export declare const store: S.SamlStore;
