// docs/bindings.md: the SP's signing key and certificate, the page's CSP nonce.
import type * as S from '@samlkit/core';

export declare const spSigningKey: S.PrivateKey;
export declare const spCertPem: string;
export declare const cspNonce: string;
