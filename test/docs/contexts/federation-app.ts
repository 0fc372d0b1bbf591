// docs/federation.md, after "Logging in through a federation IdP": the SP configuration and the
// aggregate-backed resolver that section builds.
import type * as S from '@samlkit/core';

export declare const sp: S.ServiceProviderConfig;
export declare const idps: S.IdpResolver;
