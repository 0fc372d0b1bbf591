// `@/lib/saml` of the Next.js snippets in docs/getting-started-fetch.md: the handlers of section 1.
import type { SamlHandlers } from '@samlkit/fetch';

export declare const saml: SamlHandlers;
