// What the browser test runs inside a real Chromium page: @samlkit/core bundled for the browser
// (esbuild, platform "browser"), on the page's own WebCrypto, CompressionStream and DOM-free
// XML stack. The Node test hands in the documents and keys; the page answers with plain JSON.
import {
  createAuthnRequest,
  decodeRedirect,
  encodeRedirect,
  loadPrivateKey,
  loadPublicKey,
  parseAuthnRequest,
  SamlError,
  signXml,
  validateResponse,
  verifyRedirectSignature,
} from '@samlkit/core';
import { verifyElementSignature } from '@samlkit/core/xml';

/** What the Node side sends. */
export interface BrowserCoreInput {
  readonly idpEntityId: string;
  readonly spEntityId: string;
  readonly acsUrl: string;
  readonly now: number;
  readonly idpCertPem: string;
  readonly spKeyPem: string;
  readonly spCertPem: string;
  readonly response: string;
  readonly tampered: string;
}

/** What the page answers. */
export interface BrowserCoreOutput {
  readonly userId: string;
  readonly attributes: Record<string, readonly string[]>;
  readonly tamperedCode: string;
  readonly redirectRoundTrip: boolean;
  readonly redirectSignatureAlgorithm: string | undefined;
  readonly redirectVerifiedWithSpKey: boolean;
  readonly redirectBadSignatureCode: string;
  readonly postSignatureVerified: boolean;
  readonly signedRequestParsed: string;
}

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'accepted';
  } catch (e) {
    return e instanceof SamlError ? e.code : `not a SamlError: ${String(e)}`;
  }
}

async function check(input: BrowserCoreInput): Promise<BrowserCoreOutput> {
  const idpKey = loadPublicKey(input.idpCertPem);
  const spKey = loadPrivateKey(input.spKeyPem);
  const spPublic = loadPublicKey(input.spCertPem);
  const validation = {
    sp: { entityId: input.spEntityId, acsUrl: input.acsUrl },
    idp: { entityId: input.idpEntityId, signingKeys: [idpKey] },
    now: input.now,
    allowUnsolicited: true,
  };
  const valid = await validateResponse(input.response, validation);
  const tamperedCode = await codeOf(() => validateResponse(input.tampered, validation));

  // HTTP-Redirect: DEFLATE through CompressionStream, query signature on WebCrypto.
  const request = createAuthnRequest({
    issuer: input.spEntityId,
    destination: 'https://idp.example.org/sso',
    assertionConsumerServiceUrl: input.acsUrl,
    protocolBinding: 'post',
    now: input.now,
  });
  const url = await encodeRedirect({
    destination: 'https://idp.example.org/sso',
    type: 'SAMLRequest',
    xml: request.xml,
    relayState: 'r1',
    sign: { key: spKey },
  });
  const decoded = await decodeRedirect(url);
  const verified = await verifyRedirectSignature(decoded, { keys: [spPublic] });
  const forged = new URL(url);
  forged.searchParams.set('RelayState', 'r2');
  const redirectBadSignatureCode = await codeOf(async () =>
    verifyRedirectSignature(await decodeRedirect(forged), { keys: [spPublic] }),
  );

  // An enveloped XML signature made in the page (the signing stack loads on first use), checked
  // on the browser's own DOM: samlkit's canonicalizer needs only standard DOM properties.
  const signed = await signXml(request.xml, { key: spKey, certificate: input.spCertPem });
  const root = new DOMParser().parseFromString(signed, 'text/xml').documentElement;
  const postSignature = await verifyElementSignature(root as never, { keys: [spPublic] });

  return {
    userId: valid.userId,
    attributes: valid.attributes,
    tamperedCode,
    redirectRoundTrip: decoded.xml === request.xml && decoded.relayState === 'r1',
    redirectSignatureAlgorithm: decoded.sigAlg,
    redirectVerifiedWithSpKey: verified === spPublic,
    redirectBadSignatureCode,
    postSignatureVerified: postSignature?.key === spPublic,
    signedRequestParsed: parseAuthnRequest(signed).id === request.id ? 'same id' : 'different id',
  };
}

(globalThis as { samlkitBrowserCheck?: typeof check }).samlkitBrowserCheck = check;
