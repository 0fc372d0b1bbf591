import type { CryptoProvider } from '../crypto/provider.js';
import { SamlError } from '../errors.js';
import { checkIssuer, checkVersion } from '../lib/checks.js';
import { generateId } from '../lib/id.js';
import { toEpochMs } from '../lib/message-time.js';
import {
  attr,
  escapeXml,
  formatDateTime,
  isElement,
  NS,
  parseDateTime,
  requiredAttr,
  requiredChild,
  textOf,
} from '../lib/xml.js';

/** Options of {@link createArtifactResolve}. */
export interface ArtifactResolveOptions {
  /** The SP entity ID (`<saml:Issuer>`). */
  readonly issuer: string;
  /** The IdP ArtifactResolutionService URL (`Destination`). */
  readonly destination: string;
  /** The `SAMLart` value received. */
  readonly artifact: string;
  readonly now: Date | number;
  readonly id?: string;
  readonly crypto?: CryptoProvider;
}

/** A `<samlp:ArtifactResolve>` as data. */
export interface ArtifactResolve {
  readonly id: string;
  readonly issueInstant: number;
  readonly issuer: string;
  readonly destination?: string;
  readonly artifact: string;
}

/**
 * Builds an unsigned `<samlp:ArtifactResolve>` asking the IdP for the message an artifact stands
 * for. Sign it (`signXml`) before sending it over SOAP; {@link resolveArtifact} does all of it.
 *
 * @param options - issuer, destination, artifact, `now`
 * @returns the request ID (the ArtifactResponse's InResponseTo must equal it) and the XML
 * @throws TypeError for malformed options
 * @example Building the request by hand
 * ```ts
 * const { id, xml } = createArtifactResolve({ issuer: sp.entityId, destination: ars, artifact, now: Date.now() });
 * ```
 * @see SAML core §3.5.1 (ArtifactResolve)
 */
export function createArtifactResolve(options: ArtifactResolveOptions): {
  readonly id: string;
  readonly xml: string;
  readonly issueInstant: number;
} {
  if (!options || typeof options !== 'object') {
    throw new TypeError('createArtifactResolve: options must be an object');
  }
  const issueInstant = toEpochMs(options.now, 'createArtifactResolve');
  const id = options.id ?? generateId(options.crypto);
  if (!/^[A-Za-z_][A-Za-z0-9._-]*$/.test(id)) {
    throw new TypeError('createArtifactResolve: id must be an xs:ID');
  }
  for (const [name, value] of [
    ['issuer', options.issuer],
    ['destination', options.destination],
    ['artifact', options.artifact],
  ] as const) {
    if (typeof value !== 'string' || value === '' || value.trim() !== value) {
      throw new TypeError(`createArtifactResolve: ${name} must be a non-empty string`);
    }
  }
  // SAML core §3.2.1 (RequestAbstractType) then §3.5.1: Issuer, (Signature), Artifact.
  const xml =
    `<samlp:ArtifactResolve xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}"` +
    ` ID="${escapeXml(id)}" Version="2.0" IssueInstant="${formatDateTime(issueInstant)}"` +
    ` Destination="${escapeXml(options.destination)}">` +
    `<saml:Issuer>${escapeXml(options.issuer)}</saml:Issuer>` +
    `<samlp:Artifact>${escapeXml(options.artifact)}</samlp:Artifact>` +
    '</samlp:ArtifactResolve>';
  return { id, xml, issueInstant };
}

/**
 * Reads an `<samlp:ArtifactResolve>` element (the IdP side of artifact resolution, and the CLI):
 * structure only, no signature check.
 *
 * @param el - the ArtifactResolve element (e.g. the message of `parseSoapEnvelope`)
 * @returns the request as data
 * @throws SamlError `XML_UNEXPECTED_ELEMENT`, `XML_MISSING_ELEMENT`, `XML_INVALID_VALUE`,
 *   `MESSAGE_VERSION_UNSUPPORTED`
 * @example The IdP side: reading the artifact asked for
 * ```ts
 * const { message } = parseSoapEnvelope(body);
 * const { artifact } = parseArtifactResolve(message);
 * ```
 * @see SAML core §3.5.1
 */
export function parseArtifactResolve(el: Element): ArtifactResolve {
  if (!isElement(el, NS.samlp, 'ArtifactResolve')) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The message is not an ArtifactResolve.', {
      expected: `<samlp:ArtifactResolve> (namespace ${NS.samlp})`,
      found: `<${el.nodeName}> in ${el.namespaceURI ?? 'no namespace'}`,
    });
  }
  checkVersion(el);
  const destination = attr(el, 'Destination');
  return {
    id: requiredAttr(el, 'ID'),
    issueInstant: parseDateTime(requiredAttr(el, 'IssueInstant'), 'ArtifactResolve IssueInstant'),
    issuer: checkIssuer(el, undefined, true)!,
    ...(destination !== undefined ? { destination } : {}),
    artifact: textOf(requiredChild(el, NS.samlp, 'Artifact')).trim(),
  };
}
