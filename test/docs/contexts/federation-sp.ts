// docs/federation.md, "Logging in through a federation IdP": the aggregate loaded earlier in the
// guide, and the SP's own key pair.
import type * as S from '@samlkit/core';

export declare const fed: S.FederationAggregate;
export declare const spKeyPem: string;
export declare const spCertPem: string;
