// docs/metadata.md: keys, documents, the store and the logger the text introduces.
import type * as S from '@samlkit/core';

export declare const keyPem: string;
export declare const certPem: string;
export declare const aggregateXml: string;
export declare const federationSignerPem: string;
export declare const store: S.SamlStore;
export declare const logger: { info(data: object, message: string): void };
export declare const samlResponse: string;
export declare const contosoMetadataUrl: string;
export declare const fabrikamXml: string;
export declare const issuer: string;
export declare const body: string;
export declare const options: Parameters<typeof S.validateResponse>[1];
export declare const redirect: Omit<Parameters<typeof S.encodeRedirect>[0], 'extraParams'>;
