// The test IdP's side of HTTP-Artifact (SAML bindings §3.6): it holds each Response under a fresh
// artifact and answers the SP's ArtifactResolve over SOAP with a signed ArtifactResponse.
import {
  createArtifact,
  createSoapEnvelope,
  createSoapFault,
  generateId,
  parseArtifactResolve,
  parseSoapEnvelope,
  signXml,
} from '@samlkit/core';
import type { TestKeys } from './keys.js';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SOAP_CONTENT_TYPE = 'text/xml; charset=utf-8';

/** A Response the test IdP holds under an artifact. */
interface Held {
  readonly responseXml: string;
  /** The SP entity ID it was issued for (SAML core §3.5.3: only that SP may resolve it). */
  readonly forSp: string;
  /** A misbehaving IdP resolves the artifact again (to test the SP's own one-time check). */
  readonly reusable: boolean;
}

/** The test IdP's ArtifactResolutionService. @internal */
export interface ArtifactService {
  /** Holds `responseXml` and returns the `SAMLart` value standing for it. */
  issue(responseXml: string, forSp: string, reusable: boolean): Promise<string>;
  /** Answers an ArtifactResolve SOAP request (the body) with the SOAP ArtifactResponse. */
  answer(body: string, now: number): Promise<string>;
  /** A `fetch` that serves the service's URL and refuses every other. */
  readonly fetch: typeof fetch;
  /** How many ArtifactResolve requests the service answered. */
  readonly resolutions: () => number;
}

/** @internal */
export function createArtifactService(
  entityId: string,
  location: string,
  keys: TestKeys,
): ArtifactService {
  const held = new Map<string, Held>();
  let resolutions = 0;

  async function answer(body: string, now: number): Promise<string> {
    resolutions++;
    const request = parseArtifactResolve(parseSoapEnvelope(body).message);
    const entry = held.get(request.artifact);
    // SAML core §3.5.3: an artifact is answered once, and only to the SP it was issued for;
    // otherwise the ArtifactResponse carries no message.
    const deliver = entry !== undefined && entry.forSp === request.issuer;
    if (deliver && !entry.reusable) held.delete(request.artifact);
    const xml =
      `<samlp:ArtifactResponse xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${generateId()}"` +
      ` Version="2.0" IssueInstant="${new Date(now).toISOString()}" InResponseTo="${request.id}">` +
      `<saml:Issuer>${entityId}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      (deliver ? entry.responseXml.replace(/^<\?xml[^>]*>/, '') : '') +
      '</samlp:ArtifactResponse>';
    // SAML bindings §3.6.5.2: the IdP signs the ArtifactResponse.
    return createSoapEnvelope(
      await signXml(xml, { key: keys.privateKey, certificate: keys.certificatePem }),
    );
  }

  const serve: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    if (request.url !== location) {
      throw new TypeError(`test IdP: no route to ${request.url} (only ${location})`);
    }
    try {
      const soap = await answer(await request.text(), Date.now());
      return new Response(soap, { status: 200, headers: { 'content-type': SOAP_CONTENT_TYPE } });
    } catch (err) {
      return new Response(createSoapFault({ code: 'Client', message: String(err) }), {
        status: 500,
        headers: { 'content-type': SOAP_CONTENT_TYPE },
      });
    }
  };

  return {
    async issue(responseXml, forSp, reusable) {
      const samlart = await createArtifact({ issuer: entityId, endpointIndex: 0 });
      held.set(samlart, { responseXml, forSp, reusable });
      return samlart;
    },
    answer,
    fetch: serve,
    resolutions: () => resolutions,
  };
}
