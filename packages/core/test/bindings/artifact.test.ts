import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createArtifact,
  createSoapEnvelope,
  createSoapFault,
  type IdentityProviderConfig,
  parseArtifact,
  parseArtifactResolve,
  parseSoapEnvelope,
  type ResolveArtifactOptions,
  resolveArtifact,
  type ServiceProviderConfig,
  SOAP_CONTENT_TYPE,
  signXml,
  validateResponse,
} from '@samlkit/core';
import { verifyElementSignature } from '@samlkit/core/xml';
import { buildResponse, generateTestKeys, type TestKeys } from '@samlkit/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode } from '../logout/support.js';
import { listenHttps, makeSelfSigned, trustingFetch } from '../support/tls.js';

const IDP = 'https://idp.example.org/saml';
const SP = 'https://sp.example.com/saml/metadata';
const OTHER_SP = 'https://other-sp.example.net/saml';
const ACS = 'https://sp.example.com/saml/acs';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

let idp: TestKeys;
let sp: TestKeys;
let attacker: TestKeys;

/** What the test IdP's resolution service holds for each artifact, and how it answers. */
interface Held {
  forSp: string;
  responseXml: string;
  signWith?: TestKeys | undefined;
  issueInstant?: number;
  fault?: boolean;
  /** Misbehaviours: answer another request, claim another issuer, fail, send the message twice. */
  inResponseTo?: string;
  issuer?: string;
  status?: string;
  twice?: boolean;
}
const held = new Map<string, Held>();
/** Every ArtifactResolve the IdP received, with whether its signature verified with the SP key. */
const received: { issuer: string; signedBySp: boolean }[] = [];

let server: Server;
let silent: Server;
let base: string;
let silentBase: string;

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The IdP's ArtifactResolutionService, built from core pieces and testkit keys. */
async function resolutionService(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { message } = parseSoapEnvelope(await body(req));
  const signature = await verifyElementSignature(message, { keys: [sp.publicKey] }).catch(
    () => null,
  );
  const ar = parseArtifactResolve(message);
  received.push({ issuer: ar.issuer, signedBySp: signature !== null });
  const entry = held.get(ar.artifact);
  if (entry?.fault) {
    res.writeHead(500, { 'content-type': SOAP_CONTENT_TYPE });
    res.end(createSoapFault({ code: 'Server', message: 'resolution store unavailable' }));
    return;
  }
  // SAML core §3.5.3: an artifact is answered once, and only to the SP it was issued to;
  // otherwise the ArtifactResponse carries no message.
  const deliver = entry && entry.forSp === ar.issuer && signature !== null;
  if (deliver) held.delete(ar.artifact);
  const issueInstant = new Date(entry?.issueInstant ?? Date.now()).toISOString();
  let xml =
    `<samlp:ArtifactResponse xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="_ar${Math.random().toString(16).slice(2)}"` +
    ` Version="2.0" IssueInstant="${issueInstant}" InResponseTo="${entry?.inResponseTo ?? ar.id}">` +
    `<saml:Issuer>${entry?.issuer ?? IDP}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:${entry?.status ?? 'Success'}"/></samlp:Status>` +
    (deliver ? entry.responseXml.replace(/^<\?xml[^>]*>/, '').repeat(entry.twice ? 2 : 1) : '') +
    '</samlp:ArtifactResponse>';
  if (entry?.signWith) xml = await signXml(xml, { key: entry.signWith.privateKey });
  res.writeHead(200, { 'content-type': SOAP_CONTENT_TYPE });
  res.end(createSoapEnvelope(xml));
}

function listen(s: Server): Promise<string> {
  return new Promise((resolve) => {
    s.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`),
    );
  });
}

function close(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.closeAllConnections?.();
    s.close(() => resolve());
  });
}

/** A loopback port nothing listens on: bind one, then release it. */
async function deadPort(): Promise<string> {
  const s = createServer();
  const url = await listen(s);
  await close(s);
  return url;
}

beforeAll(async () => {
  [idp, sp, attacker] = await Promise.all([
    generateTestKeys({ subject: 'idp' }),
    generateTestKeys({ subject: 'sp' }),
    generateTestKeys({ subject: 'attacker' }),
  ]);
  server = createServer((req, res) => {
    resolutionService(req, res).catch((err) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  base = await listen(server);
  // Accepts connections and never answers: the SP must give up on its own.
  silent = createServer(() => {});
  silentBase = await listen(silent);
});

afterAll(async () => {
  await Promise.all([close(server), close(silent)]);
});

function spConfig(): ServiceProviderConfig {
  return {
    entityId: SP,
    assertionConsumerServices: [{ binding: 'artifact', location: ACS }],
    signingKeys: [{ privateKey: sp.privateKey, certificate: sp.certificatePem }],
  };
}

function idpConfig(arsBase = base): IdentityProviderConfig {
  return {
    entityId: IDP,
    singleSignOnServices: [{ binding: 'redirect', location: `${IDP}/sso` }],
    artifactResolutionServices: [
      { binding: 'soap', location: `${arsBase}/ars-0`, index: 0 },
      { binding: 'soap', location: `${arsBase}/ars-1`, index: 1 },
    ],
    signingKeys: [idp.publicKey],
  };
}

function options(extra: Partial<ResolveArtifactOptions> = {}): ResolveArtifactOptions {
  // The test IdP serves plain http on 127.0.0.1; production endpoints must be https.
  return {
    sp: spConfig(),
    idp: idpConfig(),
    now: Date.now(),
    timeoutMs: 2000,
    allowInsecureHttpForDevelopment: true,
    ...extra,
  };
}

async function issue(entry: Held, endpointIndex = 1): Promise<string> {
  const artifact = await createArtifact({ issuer: IDP, endpointIndex });
  held.set(artifact, entry);
  return artifact;
}

async function signedResponse(extra: Record<string, unknown> = {}): Promise<string> {
  return buildResponse({
    idpEntityId: IDP,
    spEntityId: SP,
    acsUrl: ACS,
    now: Date.now(),
    inResponseTo: '_authn-1',
    nameId: { value: 'alice@example.com' },
    signingKey: idp,
    sign: 'assertion',
    ...extra,
  });
}

function validate(xml: string) {
  return validateResponse(xml, {
    sp: { entityId: SP, acsUrl: ACS },
    idp: { entityId: IDP, signingKeys: [idp.publicKey] },
    now: Date.now(),
    inResponseTo: '_authn-1',
  });
}

describe('artifact format (SAML bindings §3.6.4.2)', () => {
  it('round-trips endpoint index and message handle, with SourceID = SHA-1(entityID)', async () => {
    const expectedSource = new Uint8Array(
      await crypto.subtle.digest('SHA-1', new TextEncoder().encode(IDP)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        async (endpointIndex, messageHandle) => {
          const a = parseArtifact(
            await createArtifact({ issuer: IDP, endpointIndex, messageHandle }),
          );
          expect(a.typeCode).toBe(4);
          expect(a.endpointIndex).toBe(endpointIndex);
          expect(a.messageHandle).toEqual(messageHandle);
          expect(a.sourceId).toEqual(expectedSource);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses values that are not type 0x0004 artifacts', async () => {
    const good = await createArtifact({ issuer: IDP });
    const bytes = Uint8Array.from(atob(good), (c) => c.charCodeAt(0));
    bytes[1] = 1;
    expect(() => parseArtifact(btoa(String.fromCharCode(...bytes)))).toThrow(/type code/);
    expect(() => parseArtifact(btoa('short'))).toThrow(/not a SAML 2.0 artifact/);
  });
});

describe('resolveArtifact against a local resolution service', () => {
  it('resolves, sends a signed ArtifactResolve to the indexed endpoint, and the Response validates as if POSTed', async () => {
    const artifact = await issue({ forSp: SP, responseXml: await signedResponse(), signWith: idp });
    const before = received.length;
    const resolved = await resolveArtifact(artifact, options());
    expect(received.slice(before)).toEqual([{ issuer: SP, signedBySp: true }]);
    expect(resolved.endpoint).toBe(`${base}/ars-1`);
    expect(resolved.issuer).toBe(IDP);
    expect(resolved.signature?.method).toBe('xml');
    expect(resolved.messageName).toBe('Response');
    const result = await validate(resolved.messageXml);
    expect(result.userId).toBe('alice@example.com');
    // The artifact is single-use at the IdP: a second resolution yields no message.
    await expectCode(resolveArtifact(artifact, options()), 'ARTIFACT_RESOLUTION_FAILED');
  });

  it('accepts an unsigned ArtifactResponse unless a signature is required', async () => {
    const a1 = await issue({ forSp: SP, responseXml: await signedResponse() });
    const resolved = await resolveArtifact(a1, options());
    expect(resolved.signature).toBeUndefined();
    await validate(resolved.messageXml);
    const a2 = await issue({ forSp: SP, responseXml: await signedResponse() });
    await expectCode(
      resolveArtifact(a2, options({ requireArtifactResponseSignature: true })),
      'SIGNATURE_MISSING',
    );
  });

  it('refuses a wrong signature on the ArtifactResponse and on the Response inside', async () => {
    const a1 = await issue({ forSp: SP, responseXml: await signedResponse(), signWith: attacker });
    await expectCode(resolveArtifact(a1, options()), 'SIGNATURE_INVALID');
    const a2 = await issue({
      forSp: SP,
      responseXml: await signedResponse({ signingKey: attacker }),
      signWith: idp,
    });
    const resolved = await resolveArtifact(a2, options());
    await expectCode(validate(resolved.messageXml), 'SIGNATURE_INVALID');
  });

  it('refuses an expired Response inside, and a stale ArtifactResponse', async () => {
    const a1 = await issue({
      forSp: SP,
      responseXml: await signedResponse({ now: Date.now() - 60 * 60_000 }),
      signWith: idp,
    });
    const resolved = await resolveArtifact(a1, options());
    await expectCode(validate(resolved.messageXml), 'EXPIRED');
    const a2 = await issue({
      forSp: SP,
      responseXml: await signedResponse(),
      signWith: idp,
      issueInstant: Date.now() - 60 * 60_000,
    });
    await expectCode(resolveArtifact(a2, options()), 'EXPIRED');
  });

  it('gets no message for an artifact issued to another SP', async () => {
    const artifact = await issue({
      forSp: OTHER_SP,
      responseXml: await signedResponse({ spEntityId: OTHER_SP }),
      signWith: idp,
    });
    await expectCode(resolveArtifact(artifact, options()), 'ARTIFACT_RESOLUTION_FAILED');
  });

  it('refuses the audience of another SP even if the IdP hands the message over', async () => {
    const artifact = await issue({
      forSp: SP,
      responseXml: await signedResponse({ audiences: [[OTHER_SP]] }),
      signWith: idp,
    });
    const resolved = await resolveArtifact(artifact, options());
    await expectCode(validate(resolved.messageXml), 'AUDIENCE_MISMATCH');
  });

  it('refuses an artifact from another IdP before calling anyone', async () => {
    const artifact = await createArtifact({ issuer: 'https://evil-idp.example', endpointIndex: 1 });
    const before = received.length;
    await expectCode(resolveArtifact(artifact, options()), 'ARTIFACT_RESOLUTION_FAILED');
    expect(received.length).toBe(before);
  });

  it('refuses an endpoint index the IdP does not publish', async () => {
    const artifact = await issue({ forSp: SP, responseXml: await signedResponse() }, 7);
    await expectCode(resolveArtifact(artifact, options()), 'ARTIFACT_RESOLUTION_FAILED');
  });

  it('reports a SOAP fault with its code and string', async () => {
    const artifact = await issue({ forSp: SP, responseXml: '', fault: true });
    let caught: unknown;
    try {
      await resolveArtifact(artifact, options());
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({
      code: 'SOAP_FAULT',
      details: {
        faultCode: 'soap-env:Server',
        faultString: 'resolution store unavailable',
        httpStatus: 500,
      },
    });
  });

  it('fails clearly when the IdP is unreachable', async () => {
    const artifact = await issue({ forSp: SP, responseXml: await signedResponse() });
    const dead = await deadPort();
    await expectCode(
      resolveArtifact(artifact, options({ idp: idpConfig(dead) })),
      'HTTP_REQUEST_FAILED',
    );
  });

  it('gives up after timeoutMs when the IdP never answers', async () => {
    const artifact = await issue({ forSp: SP, responseXml: await signedResponse() });
    let caught: unknown;
    try {
      await resolveArtifact(artifact, options({ idp: idpConfig(silentBase), timeoutMs: 200 }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'HTTP_REQUEST_FAILED' });
    expect((caught as Error).message).toMatch(/timed out/);
  });

  it('needs an SP signing key and an ArtifactResolutionService', async () => {
    const artifact = await issue({ forSp: SP, responseXml: await signedResponse() });
    await expectCode(
      resolveArtifact(artifact, options({ sp: { entityId: SP } })),
      'CONFIG_INVALID',
    );
    await expectCode(
      resolveArtifact(
        artifact,
        options({ idp: { ...idpConfig(), artifactResolutionServices: [] } }),
      ),
      'CONFIG_INVALID',
    );
  });

  it('refuses an ArtifactResponse that answers another request, names another issuer, fails, or carries two messages', async () => {
    const cases: [Partial<Held>, string][] = [
      [{ inResponseTo: '_someone-else' }, 'IN_RESPONSE_TO_MISMATCH'],
      [{ issuer: 'https://evil-idp.example' }, 'ISSUER_MISMATCH'],
      [{ status: 'Requester' }, 'STATUS_NOT_SUCCESS'],
      [{ twice: true }, 'XML_UNEXPECTED_ELEMENT'],
    ];
    for (const [change, code] of cases) {
      const artifact = await issue({
        forSp: SP,
        responseXml: await signedResponse(),
        signWith: idp,
        ...change,
      });
      await expectCode(resolveArtifact(artifact, options()), code as never);
    }
  });

  it('does not follow HTTP redirects from the resolution service', async () => {
    const hop = createServer((_req, res) => {
      res.writeHead(302, { location: `${base}/ars-1` });
      res.end();
    });
    const hopBase = await listen(hop);
    try {
      const artifact = await issue({
        forSp: SP,
        responseXml: await signedResponse(),
        signWith: idp,
      });
      await expectCode(
        resolveArtifact(artifact, options({ idp: idpConfig(hopBase) })),
        'HTTP_REQUEST_FAILED',
      );
    } finally {
      await close(hop);
    }
  });

  it('refuses a plain-http ArtifactResolutionService unless the development option is set', async () => {
    const artifact = await issue({ forSp: SP, responseXml: await signedResponse(), signWith: idp });
    let caught: unknown;
    try {
      await resolveArtifact(artifact, options({ allowInsecureHttpForDevelopment: false }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'HTTP_REQUEST_FAILED' });
    expect((caught as Error).message).toMatch(/not https/);
    // Nothing was sent: the IdP still holds the artifact, and resolves it once allowed.
    expect(held.has(artifact)).toBe(true);
    const resolved = await resolveArtifact(artifact, options());
    expect(resolved.messageName).toBe('Response');
  });

  it('resolves over https without the development option', async () => {
    const tls = makeSelfSigned();
    const { server: secure, origin } = await listenHttps(tls, (req, res) => {
      resolutionService(req, res).catch((err) => {
        res.writeHead(500);
        res.end(String(err));
      });
    });
    try {
      const artifact = await issue({
        forSp: SP,
        responseXml: await signedResponse(),
        signWith: idp,
      });
      const resolved = await resolveArtifact(artifact, {
        ...options({ idp: idpConfig(origin), fetch: trustingFetch(tls) as typeof fetch }),
        allowInsecureHttpForDevelopment: false,
      });
      expect(resolved.endpoint).toBe(`${origin}/ars-1`);
    } finally {
      secure.closeAllConnections();
      await new Promise<void>((resolve) => secure.close(() => resolve()));
    }
  });
});
