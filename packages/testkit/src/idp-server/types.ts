// The test IdP server's public shapes and default users, and the state it keeps per login.
import type { AuthnRequest, IdentityProviderConfig } from '@samlkit/core';
import type { TestIdp } from '../idp.js';
import type { TestKeys } from '../keys.js';
import type { TestAttribute } from '../response.js';

/** A user who can sign in at the test IdP. */
export interface IdpServerUser {
  /** What is typed into the login form. */
  readonly username: string;
  readonly password: string;
  /** The NameID asserted for the user (an e-mail address). */
  readonly nameId: string;
  /** Attributes asserted for the user. */
  readonly attributes?: readonly TestAttribute[];
}

/** A service provider the test IdP knows: where its logout messages go. */
export interface IdpServerServiceProvider {
  /** The SP's entity ID (the Issuer of its AuthnRequests). */
  readonly entityId: string;
  /**
   * The SP's AssertionConsumerService URLs. When given, an AuthnRequest naming another ACS URL is
   * refused (as a real IdP does); when absent, any ACS URL is answered.
   */
  readonly acsUrls?: readonly string[];
  /** The SP's SingleLogoutService URL (Redirect binding), for LogoutRequests and LogoutResponses. */
  readonly sloUrl?: string;
}

/** Options of {@link startIdpServer}. */
export interface IdpServerOptions {
  /** Loopback address to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port. Default 0 (a free port). */
  readonly port?: number;
  /** Entity ID. Default `<url>/metadata`. */
  readonly entityId?: string;
  /** Signing keys. Default: generated (RSA 2048, self-signed). */
  readonly keys?: TestKeys;
  /** Who can sign in. Default {@link IDP_SERVER_USERS}. */
  readonly users?: readonly IdpServerUser[];
  /** The SPs the IdP knows (needed for logout). Default: none (any SP may log in). */
  readonly serviceProviders?: readonly IdpServerServiceProvider[];
  /** The AuthnContextClassRef asserted when the SP asked for none. Default PasswordProtectedTransport. */
  readonly authnContextClassRef?: string;
}

/** A running test IdP. */
export interface IdpServer {
  /** Its base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly entityId: string;
  /** The IdP as an SP configures it (endpoints on this server, its signing certificate). */
  readonly config: IdentityProviderConfig;
  /** The in-process IdP that signs the messages (for tests that build messages themselves). */
  readonly idp: TestIdp;
  readonly users: readonly IdpServerUser[];
  /** Stops the server (open connections are closed). */
  stop(): Promise<void>;
}

export const PASSWORD_PROTECTED =
  'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

/** The default test users (password = username). */
export const IDP_SERVER_USERS: readonly IdpServerUser[] = Object.freeze([
  {
    username: 'alice',
    password: 'alice',
    nameId: 'alice@example.com',
    attributes: [
      { name: 'email', values: ['alice@example.com'] },
      { name: 'displayName', values: ['Alice Example'] },
      { name: 'groups', values: ['staff', 'admins'] },
    ],
  },
  {
    username: 'bob',
    password: 'bob',
    nameId: 'bob@example.com',
    attributes: [
      { name: 'email', values: ['bob@example.com'] },
      { name: 'displayName', values: ['Bob Example'] },
      { name: 'groups', values: ['staff'] },
    ],
  },
  {
    username: 'carol',
    password: 'carol',
    nameId: 'carol@example.com',
    attributes: [
      { name: 'email', values: ['carol@example.com'] },
      { name: 'displayName', values: ['Carol Example'] },
    ],
  },
]);

export interface PendingLogin {
  readonly request: AuthnRequest;
  readonly relayState: string | undefined;
  readonly createdAt: number;
}

export interface IdpSession {
  readonly user: IdpServerUser;
  readonly sessionIndex: string;
  /** SP entity IDs the user signed in to through this session. */
  readonly sps: Set<string>;
}
