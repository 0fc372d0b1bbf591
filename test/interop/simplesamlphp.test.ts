// Interoperability with a real IdP: SimpleSAMLphp (Debian package) on loopback, driving the demo
// app (`packages/demo`, configured through its environment variables) with a cookie-holding HTTP
// client. The IdP reads the SP metadata from the demo's /saml/metadata; the demo reads the IdP
// metadata from SimpleSAMLphp's metadata URL.
import { createAuthnRequest, encodeRedirect } from '@samlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, type Page, readForms } from '../support/browser-client.js';
import { type DemoProcess, freePort, startDemoProcess } from '../support/demo-process.js';
import { type SimpleSamlPhp, simpleSamlPhpMissing, startSimpleSamlPhp } from './simplesamlphp.js';

const missing = simpleSamlPhpMissing();
if (missing && process.env.CI !== 'true') {
  console.warn(
    `\n*** SKIPPED: the SimpleSAMLphp interop suite needs ${missing} (apt-get install simplesamlphp php-xml php-cli) ***\n`,
  );
}

/** Decodes the SAMLResponse of an HTTP-POST page. */
function postedResponse(page: Page): string {
  const form = readForms(page).find((f) => f.fields.has('SAMLResponse'));
  if (!form) throw new Error(`no SAMLResponse form at ${page.url}:\n${page.body.slice(0, 2000)}`);
  return Buffer.from(form.fields.get('SAMLResponse')!, 'base64').toString('utf8');
}

/** Like Promise.all, but when one start fails the others that did start are stopped. */
type Stoppable = { stop(): Promise<void> };

/** Starts everything together; when one start fails, stops the ones that came up and rethrows. */
async function allOrStop<const P extends readonly Promise<Stoppable>[]>(
  starts: P,
): Promise<{ -readonly [K in keyof P]: Awaited<P[K]> }> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((r) => r.status === 'rejected');
  if (!failed) {
    return settled.map((r) => (r as PromiseFulfilledResult<Stoppable>).value) as {
      -readonly [K in keyof P]: Awaited<P[K]>;
    };
  }
  await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
  throw failed.reason;
}

describe.skipIf(missing !== null && process.env.CI !== 'true')('SimpleSAMLphp IdP', () => {
  let ssp: SimpleSamlPhp;
  let sspSha1: SimpleSamlPhp;
  /** AuthnRequests over Redirect; encrypted assertions. */
  let spRedirect: DemoProcess;
  /** AuthnRequests over POST; encrypted assertions. */
  let spPost: DemoProcess;
  /** Against the SHA-1 IdP, default settings. */
  let spSha1Refused: DemoProcess;
  /** Against the SHA-1 IdP, allowSha1. */
  let spSha1Allowed: DemoProcess;
  /** An IdP that answers with HTTP-Artifact when asked to. */
  let sspArtifact: SimpleSamlPhp;
  /** Asks for HTTP-Artifact (SAML_RESPONSE_BINDING=artifact). */
  let spArtifact: DemoProcess;

  const diagnostics = async () =>
    `${(await ssp?.logs()) ?? ''}\n${(await sspSha1?.logs()) ?? ''}\n--- demo\n${spRedirect?.output() ?? ''}`;

  /** Signs in at SimpleSAMLphp as `user` and returns the page the IdP answers with. */
  async function signIn(browser: BrowserClient, start: string, user: string): Promise<Page> {
    const login = await browser.autoPost(await browser.go(start));
    const form = readForms(login).find((f) => f.fields.has('username'));
    if (!form) {
      throw new Error(
        `no login form at ${login.url} (${login.status}):\n${login.body.slice(0, 3000)}\n${await diagnostics()}`,
      );
    }
    return browser.submit(form, { username: user, password: user });
  }

  beforeAll(async () => {
    if (missing) throw new Error(`CI must have ${missing} for the interop suite`);
    const [p1, p2, p3, p4, p5, i1, i2, i3] = await Promise.all(
      Array.from({ length: 8 }, () => freePort()),
    );
    const sp = (port: number | undefined) => `http://localhost:${port}`;
    [ssp, sspSha1, sspArtifact] = await allOrStop([
      startSimpleSamlPhp({
        port: i1!,
        encryptAssertions: true,
        requireSignedRequests: true,
      }),
      startSimpleSamlPhp({
        port: i2!,
        sha1: true,
        requireSignedRequests: true,
      }),
      startSimpleSamlPhp({ port: i3!, requireSignedRequests: true, sendArtifacts: true }),
    ]);
    [spRedirect, spPost, spSha1Refused, spSha1Allowed, spArtifact] = await allOrStop([
      startDemoProcess({ PORT: String(p1), SAML_IDP_METADATA_URL: ssp.metadataUrl }),
      startDemoProcess({
        PORT: String(p2),
        SAML_IDP_METADATA_URL: ssp.metadataUrl,
        SAML_AUTHN_REQUEST_BINDING: 'post',
      }),
      startDemoProcess({ PORT: String(p3), SAML_IDP_METADATA_URL: sspSha1.metadataUrl }),
      startDemoProcess({
        PORT: String(p4),
        SAML_IDP_METADATA_URL: sspSha1.metadataUrl,
        SAML_ALLOW_SHA1: 'true',
      }),
      startDemoProcess({
        PORT: String(p5),
        SAML_IDP_METADATA_URL: sspArtifact.metadataUrl,
        SAML_RESPONSE_BINDING: 'artifact',
      }),
    ]);
    await ssp.trustServiceProviders([`${sp(p1)}/saml/metadata`, `${sp(p2)}/saml/metadata`]);
    await sspSha1.trustServiceProviders([`${sp(p3)}/saml/metadata`, `${sp(p4)}/saml/metadata`]);
    await sspArtifact.trustServiceProviders([`${sp(p5)}/saml/metadata`]);
  }, 400_000);

  afterAll(async () => {
    await Promise.all(
      [spRedirect, spPost, spSha1Refused, spSha1Allowed, spArtifact, ssp, sspSha1, sspArtifact].map(
        (p) => p?.stop(),
      ),
    );
  });

  it('the demo read the IdP metadata from SimpleSAMLphp and publishes metadata the IdP takes', async () => {
    expect(spRedirect.output()).toContain(`the IdP ${ssp.metadataUrl}`);
    const metadata = await new BrowserClient().go(`${spRedirect.url}/saml/metadata`);
    expect(metadata.body).toContain('AuthnRequestsSigned="true"');
    expect(metadata.body).toMatch(/KeyDescriptor use="encryption"/);
  });

  it('SimpleSAMLphp refuses an unsigned AuthnRequest (it requires signed requests)', async () => {
    const { xml } = await createAuthnRequest({
      issuer: `${spRedirect.url}/saml/metadata`,
      destination: ssp.ssoUrl,
      assertionConsumerServiceUrl: `${spRedirect.url}/saml/acs`,
      protocolBinding: 'post',
      now: Date.now(),
    });
    const url = await encodeRedirect({ destination: ssp.ssoUrl, type: 'SAMLRequest', xml });
    const page = await new BrowserClient().go(url);
    expect(page.body).toContain('no signature found on message');
    expect(readForms(page).some((f) => f.fields.has('username'))).toBe(false);
  });

  it('logs in over HTTP-Redirect with a signed AuthnRequest and an encrypted assertion', async () => {
    const browser = new BrowserClient();
    const answer = await signIn(browser, `${spRedirect.url}/profile`, 'alice');
    const sso = browser.history.find((h) => h.startsWith(`GET ${ssp.ssoUrl}?`));
    expect(sso).toBeDefined();
    expect(new URL(sso!.slice(4)).searchParams.get('Signature')).toBeTruthy();
    expect(new URL(sso!.slice(4)).searchParams.get('SigAlg')).toContain('sha256');
    const xml = postedResponse(answer);
    expect(xml).toContain('EncryptedAssertion');
    expect(xml).not.toMatch(/<saml:Assertion\b/);
    const profile = await browser.autoPost(answer);
    expect(profile.url, await diagnostics()).toBe(`${spRedirect.url}/profile`);
    expect(profile.body).toContain('alice@example.org');
    expect(profile.body).toContain('Alice Interop');
    expect(profile.body).toContain('staff');
    expect(profile.body).toContain(ssp.metadataUrl);
  });

  it('logs in over HTTP-POST with a signed AuthnRequest', async () => {
    const browser = new BrowserClient();
    const answer = await signIn(browser, `${spPost.url}/profile`, 'bob');
    expect(browser.history, browser.history.join('\n')).toContain(`POST ${ssp.ssoUrl}`);
    const profile = await browser.autoPost(answer);
    expect(profile.url).toBe(`${spPost.url}/profile`);
    expect(profile.body).toContain('bob@example.org');
    expect(profile.body).toContain('student');
  });

  it('SP-initiated Single Logout ends the SP session and the IdP session', async () => {
    const browser = new BrowserClient();
    const signedIn = await browser.autoPost(
      await signIn(browser, `${spRedirect.url}/profile`, 'alice'),
    );
    expect(signedIn.url).toBe(`${spRedirect.url}/profile`);
    const logout = readForms(signedIn).find((f) => f.action === `${spRedirect.url}/saml/logout`)!;
    const after = await browser.autoPost(await browser.submit(logout));
    expect(browser.history.some((h) => h.startsWith(`GET ${ssp.sloUrl}?SAMLRequest=`))).toBe(true);
    expect(
      browser.history.some((h) => h.startsWith(`GET ${spRedirect.url}/saml/slo?SAMLResponse=`)),
    ).toBe(true);
    expect(after.url).toBe(`${spRedirect.url}/`);
    expect(after.body).toContain('You are not signed in');
    // Logged out at the IdP too: the next visit meets the login form again.
    const again = await browser.autoPost(await browser.go(`${spRedirect.url}/profile`));
    expect(readForms(again).some((f) => f.fields.has('username'))).toBe(true);
  });

  it('IdP-initiated Single Logout ends the SP session', async () => {
    const browser = new BrowserClient();
    const signedIn = await browser.autoPost(await signIn(browser, `${spPost.url}/profile`, 'bob'));
    expect(signedIn.url).toBe(`${spPost.url}/profile`);
    const returnTo = `${spPost.url}/`;
    const after = await browser.autoPost(
      await browser.go(`${ssp.sloUrl}?ReturnTo=${encodeURIComponent(returnTo)}`),
    );
    expect(
      browser.history.some(
        (h) =>
          h.startsWith(`GET ${spPost.url}/saml/slo?SAMLRequest=`) ||
          h === `POST ${spPost.url}/saml/slo`,
      ),
      browser.history.join('\n'),
    ).toBe(true);
    expect(after.url).toBe(returnTo);
    expect(after.body).toContain('You are not signed in');
    const profile = await browser.request(`${spPost.url}/profile`);
    expect(profile.status).toBeGreaterThanOrEqual(300);
    expect(profile.status).toBeLessThan(400);
  });

  it('IsPassive without an IdP session: SimpleSAMLphp answers NoPassive, the SP returns not signed in', async () => {
    const browser = new BrowserClient();
    const page = await browser.autoPost(
      await browser.go(`${spRedirect.url}/saml/login?isPassive=1&returnTo=%2F%3Ffrom%3Dpassive`),
    );
    // SAML core §3.4.1: no login form is shown; the answer is Responder / NoPassive, signed.
    const answer = browser.history.find((h) => h === `POST ${spRedirect.url}/saml/acs`);
    expect(answer, `${browser.history.join('\n')}\n${await diagnostics()}`).toBeDefined();
    // Signed (saml20.sign.response): the pending login's own returnTo, not defaultReturnTo.
    expect(page.url, await diagnostics()).toBe(
      `${spRedirect.url}/?from=passive&samlkit_passive=none`,
    );
    expect(page.status).toBe(200);
    expect(page.body).toContain('You are not signed in');
  });

  it('IsPassive with an IdP session signs in without interaction', async () => {
    const browser = new BrowserClient();
    const first = await browser.autoPost(await signIn(browser, `${spRedirect.url}/profile`, 'bob'));
    expect(first.url).toBe(`${spRedirect.url}/profile`);
    // Another SP of the same IdP: the IdP session answers the passive request at once.
    const page = await browser.autoPost(
      await browser.go(`${spPost.url}/saml/login?isPassive=1&returnTo=%2Fprofile`),
    );
    expect(page.url, await diagnostics()).toBe(`${spPost.url}/profile`);
    expect(page.body).toContain('bob@example.org');
  });

  it('logs in over HTTP-Artifact: SimpleSAMLphp sends SAMLart, the SP resolves it over SOAP', async () => {
    const metadata = await new BrowserClient().go(`${spArtifact.url}/saml/metadata`);
    expect(metadata.body).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact');
    const browser = new BrowserClient();
    const profile = await browser.autoPost(
      await signIn(browser, `${spArtifact.url}/profile`, 'alice'),
    );
    const diag = `${browser.history.join('\n')}\n${await sspArtifact.logs()}\n${spArtifact.output()}`;
    // SAML bindings §3.6.3: the browser carried only the artifact, never the Response.
    expect(
      browser.history.some((h) => h.startsWith(`GET ${spArtifact.url}/saml/acs?SAMLart=`)),
      diag,
    ).toBe(true);
    expect(browser.history.some((h) => h === `POST ${spArtifact.url}/saml/acs`)).toBe(false);
    expect(profile.url, diag).toBe(`${spArtifact.url}/profile`);
    expect(profile.body).toContain('alice@example.org');
    // The artifact is one-time: sent again (a reload), it is refused.
    const acs = browser.history.find((h) =>
      h.startsWith(`GET ${spArtifact.url}/saml/acs?SAMLart=`),
    )!;
    const again = await new BrowserClient().go(acs.slice(4));
    expect(again.status).toBe(403);
    expect(again.body).toContain('REPLAY_DETECTED');
  });

  it('refuses a SHA-1 signed Response by default', async () => {
    const browser = new BrowserClient();
    const answer = await signIn(browser, `${spSha1Refused.url}/profile`, 'alice');
    expect(postedResponse(answer)).toContain('xmldsig#rsa-sha1');
    const result = await browser.autoPost(answer);
    expect(result.status).toBe(403);
    expect(result.body).toContain('SIGNATURE_ALGORITHM_FORBIDDEN');
    expect(browser.cookies('localhost').has('samlkit_session')).toBe(false);
  });

  it('accepts the SHA-1 signed Response with allowSha1', async () => {
    const browser = new BrowserClient();
    const profile = await browser.autoPost(
      await signIn(browser, `${spSha1Allowed.url}/profile`, 'alice'),
    );
    expect(profile.url).toBe(`${spSha1Allowed.url}/profile`);
    expect(profile.body).toContain('alice@example.org');
  });
});
