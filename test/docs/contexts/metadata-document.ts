// docs/metadata.md: the IdP metadata document and its source.
import type * as S from '@samlkit/core';

export declare const xml: string;
export declare const source: ReturnType<typeof S.createMetadataSource>;
export declare const samlResponse: string;
export declare const options: Parameters<typeof S.validateResponse>[1];
