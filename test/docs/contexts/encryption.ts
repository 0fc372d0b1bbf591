// docs/encryption.md: the Response, the usual validation options and the SP's keys.
import type * as S from '@samlkit/core';
import type * as T from '@samlkit/testkit';

export declare const samlResponse: string;
export declare const options: Parameters<typeof S.validateResponse>[1];
export declare const currentKeyPem: string;
export declare const previousKeyPem: string;
export declare const base: T.BuildResponseOptions;
export declare const spKeys: T.TestKeys;
