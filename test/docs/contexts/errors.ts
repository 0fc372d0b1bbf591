// docs/errors.md: the validation options and the application's own redirect.
import type * as S from '@samlkit/core';

export declare const options: Parameters<typeof S.validateResponse>[1];
export declare function redirectToLogin(): Response;
