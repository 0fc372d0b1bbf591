// docs/federation.md, live sources: the SP settings, the store, and the certificates the
// federation publishes for its aggregate and its MDQ service.
import type * as S from '@samlkit/core';

export declare const sp: S.ServiceProviderOptions['sp'];
export declare const store: S.SamlStore;
export declare const federationSigningCertPem: string;
export declare const mdqSigningCertPem: string;
export declare const logger: { info(message: string, details: object): void };
