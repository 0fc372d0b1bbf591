// docs/logout.md: the LogoutRequest being answered (what validateLogoutRequest returned).
import type * as L from '@samlkit/core';

export declare const request: Awaited<ReturnType<typeof L.validateLogoutRequest>>;
