// docs/logout.md: the SP and IdP configuration, the session being ended, the store, the keys and
// the incoming message, as the text before each block introduces them.
import type * as S from '@samlkit/core';

type LogoutOptions = Parameters<typeof S.validateLogoutRequest>[1];
export declare const sp: LogoutOptions['sp'] & { readonly entityId: string };
export declare const idp: S.IdentityProviderConfig;
export declare const idpSlo: { readonly location: string };
export declare const session: S.SessionRecord;
export declare const store: S.SamlStore;
export declare const relayState: string;
export declare const key: S.PrivateKey;
export declare const certificate: string;
export declare const req: { readonly url: string };
export declare const input: S.IncomingSamlMessage;
export declare const idpEntries: Parameters<typeof S.createIdpRegistry>[0];
export declare const allEnded: boolean;
export declare const form: Record<string, string | undefined>;
export declare const options: Parameters<typeof S.validateResponse>[1];
