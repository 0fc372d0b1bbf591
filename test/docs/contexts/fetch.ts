// docs/getting-started-fetch.md: `saml` is the createSamlHandlers(…) result of section 1.
import type { SamlHandlers } from '@samlkit/fetch';

export declare const saml: SamlHandlers;
