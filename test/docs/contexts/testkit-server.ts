// docs/testkit.md, startIdpServer: the SP settings built as in the Express guide.
import type * as S from '@samlkit/core';

export declare const sp: S.ServiceProviderOptions['sp'];
