// docs/testkit.md: the test IdP's keys, the session to log out, the SP settings, and the
// application starter the adapter harness wraps.
import type * as S from '@samlkit/core';
import type * as T from '@samlkit/testkit';

export declare const idp: T.TestKeys;
export declare const sessionIndex: string;
export declare const sp: S.ServiceProviderOptions['sp'];
export declare function startMyFrameworkApp(
  options: S.ServiceProviderOptions,
): Promise<{ url: string; stop(): Promise<void> }>;
