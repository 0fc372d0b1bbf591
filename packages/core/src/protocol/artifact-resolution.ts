// The HTTP-Artifact protocol exchange: ArtifactResolve over SOAP to the issuer, and the checks
// of its ArtifactResponse (SAML core §3.5, SAML bindings §3.6).

import { type ParsedArtifact, parseArtifact, sha1 } from '../bindings/artifact.js';
import type { MessageSignatureInfo } from '../bindings/incoming.js';
import { postSoapMessage } from '../bindings/soap.js';
import type { Endpoint, SpKeyPair } from '../config.js';
import { pickEndpoint } from '../config.js';
import type { SignatureAlgorithmName } from '../crypto/algorithms.js';
import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { equalBytes, toHex, utf8 } from '../lib/bytes.js';
import { checkIssuer, checkVersion, DEFAULT_CLOCK_SKEW_MS } from '../lib/checks.js';
import {
  checkIssueInstant,
  DEFAULT_MAX_MESSAGE_AGE_MS,
  toDurationMs,
  toEpochMs,
} from '../lib/message-time.js';
import { declareNamespaces, inScopeDeclarations } from '../lib/namespaces.js';
import { assertSuccessStatus } from '../lib/status.js';
import {
  attr,
  childElements,
  isElement,
  NS,
  parseDateTime,
  requiredAttr,
  serializeXml,
  type XmlLimits,
} from '../lib/xml.js';
import { createArtifactResolve } from '../messages/artifact-resolve.js';
import { signXml } from '../signature/sign.js';
import { verifyElementSignature } from '../signature/verify.js';

/** Options of {@link resolveArtifact}. Never mutated. */
export interface ResolveArtifactOptions {
  /** Who we are: entity ID and the keys that sign the ArtifactResolve (a `ServiceProviderConfig` fits). */
  readonly sp: { readonly entityId: string; readonly signingKeys?: readonly SpKeyPair[] };
  /** The IdP: entity ID, trusted signing keys, ArtifactResolutionService endpoints (an `IdentityProviderConfig` fits). */
  readonly idp: {
    readonly entityId: string;
    readonly signingKeys: readonly PublicKey[];
    readonly artifactResolutionServices?: readonly Endpoint[];
  };
  /** The instant of the checks. */
  readonly now: Date | number;
  /** Tolerated clock difference, milliseconds. Default 180000. */
  readonly clockSkewMs?: number;
  /** Oldest accepted ArtifactResponse IssueInstant, milliseconds before now. Default 300000. */
  readonly maxAgeMs?: number;
  /** The `fetch` used for the SOAP call (default `globalThis.fetch`); inject one for client TLS. */
  readonly fetch?: typeof fetch;
  /** Give up on the IdP after this many milliseconds. Default 10000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * **Development only.** Allow a plain-http ArtifactResolutionService. The artifact and the
   * Response it stands for (the user's assertion) then travel in clear, and anyone on the path can
   * answer in the IdP's name. Never set it in production.
   */
  readonly allowInsecureHttpForDevelopment?: boolean;
  /** Signature algorithm of the ArtifactResolve (default by key type, SHA-256). */
  readonly signatureAlgorithm?: SignatureAlgorithmName;
  /**
   * Require an XML signature on the ArtifactResponse itself. Default false: SAML bindings §3.6.5.2
   * lets the IdP rely on the TLS channel, and the Response inside must pass `validateResponse`
   * (whose signature rules apply) anyway. A signature that is present is always verified.
   */
  readonly requireArtifactResponseSignature?: boolean;
  /** **Dangerous.** Accept SHA-1 signatures. */
  readonly allowSha1?: boolean;
  readonly crypto?: CryptoProvider;
  readonly limits?: XmlLimits;
}

/** What {@link resolveArtifact} returns. */
export interface ResolvedArtifact {
  readonly artifact: ParsedArtifact;
  /** The ArtifactResolve ID sent. */
  readonly requestId: string;
  /** The ArtifactResolutionService URL asked. */
  readonly endpoint: string;
  /** The ArtifactResponse ID. */
  readonly responseId: string;
  /** The ArtifactResponse Issuer (the IdP entity ID). */
  readonly issuer: string;
  /** The ArtifactResponse signature, when it had one. */
  readonly signature?: MessageSignatureInfo;
  /** The local name of the message inside (`Response` at an ACS). */
  readonly messageName: string;
  /**
   * The message inside, as a standalone XML document with the namespaces it used from the
   * envelope declared. Pass it to `validateResponse` exactly as a POSTed `SAMLResponse`.
   */
  readonly messageXml: string;
}

function resolutionFailed(
  summary: string,
  expected: string,
  found: string,
  hint: string,
): SamlError {
  return new SamlError('ARTIFACT_RESOLUTION_FAILED', summary, { expected, found, hint });
}

/** The ArtifactResolutionService an artifact's EndpointIndex names. @internal */
export function chooseEndpoint(list: readonly Endpoint[] | undefined, index: number): Endpoint {
  const soap = (list ?? []).filter((e) => e.binding === 'soap');
  if (soap.length === 0) {
    throw new SamlError('CONFIG_INVALID', 'The IdP has no ArtifactResolutionService.', {
      expected: 'idp.artifactResolutionServices with a SOAP endpoint (from IdP metadata)',
      found: 'none',
      hint: 'the IdP metadata must publish <ArtifactResolutionService Binding="…:SOAP">',
    });
  }
  const exact = soap.find((e) => e.index === index);
  if (exact) return exact;
  // Endpoints configured without indexes: the artifact's index cannot be matched, use the default.
  if (soap.every((e) => e.index === undefined)) return pickEndpoint(soap, 'soap')!;
  throw resolutionFailed(
    'The artifact names an ArtifactResolutionService the IdP does not publish.',
    `one of the indexes ${soap.map((e) => e.index).join(', ')}`,
    `EndpointIndex ${index}`,
    'refresh the IdP metadata; the IdP may have added an endpoint',
  );
}

function activeSigningKey(keys: readonly SpKeyPair[] | undefined): SpKeyPair {
  const list = keys ?? [];
  const key = list.find((k) => k.active) ?? list[0];
  if (!key) {
    throw new SamlError('CONFIG_INVALID', 'No SP signing key to sign the ArtifactResolve.', {
      expected: 'sp.signingKeys with at least one key',
      found: 'none',
      hint: 'the IdP authenticates the SP by the signature on ArtifactResolve: configure an SP signing key and publish its certificate in SP metadata',
    });
  }
  return key;
}

/**
 * Resolves an HTTP-Artifact binding `SAMLart` received at the ACS: checks the artifact came from
 * this IdP (SourceID), sends a signed ArtifactResolve over SOAP to the IdP's
 * ArtifactResolutionService named by the artifact's EndpointIndex, and validates the
 * ArtifactResponse (signature when present — or required —, Version, Issuer, InResponseTo,
 * IssueInstant, Success status, exactly one message). The message inside is returned as XML for
 * `validateResponse`, which checks it exactly as a POSTed Response.
 *
 * @param samlart - the `SAMLart` parameter value (URL-decoded)
 * @param options - SP and IdP configuration, `now`, `fetch`, `timeoutMs`, policy
 * @returns the resolved message and what the ArtifactResponse said
 * @throws SamlError `BINDING_INVALID`, `BASE64_INVALID` (malformed artifact),
 *   `ARTIFACT_RESOLUTION_FAILED` (artifact from another IdP, unknown endpoint index, no message
 *   in the answer — unknown, expired or used artifact, or one issued to another SP),
 *   `HTTP_REQUEST_FAILED` (unreachable, timeout, HTTP error), `SOAP_FAULT`, `SIGNATURE_*`,
 *   `ISSUER_MISMATCH`, `IN_RESPONSE_TO_MISMATCH`, `STATUS_NOT_SUCCESS`, `NOT_YET_VALID`, `EXPIRED`,
 *   `CONFIG_INVALID`, `XML_*`
 * @example At the ACS with the Artifact binding
 * ```ts
 * const resolved = await resolveArtifact(url.searchParams.get('SAMLart')!, {
 *   sp, idp, now: Date.now(), timeoutMs: 5000,
 * });
 * const result = await validateResponse(resolved.messageXml, { sp: { entityId, acsUrl }, idp, now: Date.now(), ... });
 * ```
 * @see SAML bindings §3.6 (HTTP Artifact), §3.6.4 (format), §3.6.5 (security); SAML core §3.5
 */
export async function resolveArtifact(
  samlart: string,
  options: ResolveArtifactOptions,
): Promise<ResolvedArtifact> {
  const fn = 'resolveArtifact';
  if (!options || typeof options !== 'object')
    throw new TypeError(`${fn}: options must be an object`);
  const { sp, idp } = options;
  if (!sp || typeof sp.entityId !== 'string' || sp.entityId === '') {
    throw new TypeError(`${fn}: options.sp.entityId must be a non-empty string`);
  }
  if (!idp || typeof idp.entityId !== 'string' || !Array.isArray(idp.signingKeys)) {
    throw new TypeError(`${fn}: options.idp needs entityId and signingKeys`);
  }
  const now = toEpochMs(options.now, fn);
  const skewMs = toDurationMs(options.clockSkewMs, DEFAULT_CLOCK_SKEW_MS, fn, 'clockSkewMs');
  const maxAgeMs = toDurationMs(options.maxAgeMs, DEFAULT_MAX_MESSAGE_AGE_MS, fn, 'maxAgeMs');

  const artifact = parseArtifact(samlart);
  // SAML bindings §3.6.4.2: SourceID is the SHA-1 hash of the issuer's entityID.
  const expectedSource = await sha1(utf8(idp.entityId), options.crypto);
  if (!equalBytes(expectedSource, artifact.sourceId)) {
    throw resolutionFailed(
      'The artifact was not issued by the configured IdP.',
      `SourceID SHA-1(${describeValue(idp.entityId)}) = ${toHex(expectedSource)}`,
      `SourceID ${toHex(artifact.sourceId)}`,
      'the artifact comes from another IdP (or the configured IdP entity ID differs from its metadata)',
    );
  }
  const endpoint = chooseEndpoint(idp.artifactResolutionServices, artifact.endpointIndex);
  const key = activeSigningKey(sp.signingKeys);
  const request = createArtifactResolve({
    issuer: sp.entityId,
    destination: endpoint.location,
    artifact: samlart.trim(),
    now,
    ...(options.crypto ? { crypto: options.crypto } : {}),
  });
  // SAML bindings §3.6.3: the requester SHOULD authenticate itself; samlkit always signs.
  const signed = await signXml(request.xml, {
    key: key.privateKey,
    certificate: key.certificate,
    ...(options.signatureAlgorithm ? { algorithm: options.signatureAlgorithm } : {}),
    ...(options.crypto ? { crypto: options.crypto } : {}),
  });
  const { message } = await postSoapMessage(endpoint.location, signed, {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.allowInsecureHttpForDevelopment === true
      ? { allowInsecureHttpForDevelopment: true }
      : {}),
  });

  if (!isElement(message, NS.samlp, 'ArtifactResponse')) {
    throw new SamlError(
      'XML_UNEXPECTED_ELEMENT',
      'The IdP did not answer with an ArtifactResponse.',
      {
        expected: `<samlp:ArtifactResponse> (SAML core §3.5.2)`,
        found: `<${message.nodeName}> in ${message.namespaceURI ?? 'no namespace'}`,
      },
    );
  }
  const sig = await verifyElementSignature(message, {
    keys: idp.signingKeys,
    allowSha1: options.allowSha1 ?? false,
    ...(options.crypto ? { crypto: options.crypto } : {}),
  });
  if (!sig && options.requireArtifactResponseSignature) {
    throw new SamlError('SIGNATURE_MISSING', 'The ArtifactResponse is not signed.', {
      expected: 'a <ds:Signature> on the ArtifactResponse (requireArtifactResponseSignature)',
      found: 'none',
      hint: 'configure the IdP to sign ArtifactResponses, or rely on the signed Response inside',
    });
  }
  checkVersion(message);
  const responseId = requiredAttr(message, 'ID');
  const issueInstant = parseDateTime(
    requiredAttr(message, 'IssueInstant'),
    'ArtifactResponse IssueInstant',
  );
  const issuer = checkIssuer(message, idp.entityId, true)!;
  const irt = attr(message, 'InResponseTo');
  if (irt !== request.id) {
    throw new SamlError(
      'IN_RESPONSE_TO_MISMATCH',
      'The ArtifactResponse answers another request.',
      {
        expected: describeValue(request.id),
        found: describeValue(irt),
        hint: 'the IdP answered a different ArtifactResolve; a proxy or cache between SP and IdP may be mixing answers',
      },
    );
  }
  checkIssueInstant(issueInstant, now, skewMs, maxAgeMs, 'ArtifactResponse');
  // SAML core §3.5.2: Status, then the message (absent when the artifact could not be resolved).
  assertSuccessStatus(message, 'ArtifactResponse');
  const inner = childElements(message).filter(
    (c) =>
      !isElement(c, NS.saml, 'Issuer') &&
      !isElement(c, NS.ds, 'Signature') &&
      !isElement(c, NS.samlp, 'Extensions') &&
      !isElement(c, NS.samlp, 'Status'),
  );
  if (inner.length === 0) {
    throw resolutionFailed(
      'The IdP resolved the artifact to no message.',
      'the message the artifact stands for inside the ArtifactResponse',
      'an empty ArtifactResponse',
      'the artifact is unknown, expired or used already, or was issued to another SP (the IdP answers only the SP it was issued for)',
    );
  }
  if (inner.length > 1) {
    throw new SamlError(
      'XML_UNEXPECTED_ELEMENT',
      'The ArtifactResponse carries several messages.',
      {
        expected: 'one message (SAML core §3.5.2)',
        found: `${inner.length} elements`,
      },
    );
  }
  const el = inner[0]!;
  // Keep the namespaces the message uses from its ancestors, so it reads the same on its own.
  declareNamespaces(el, inScopeDeclarations(el));
  return {
    artifact,
    requestId: request.id,
    endpoint: endpoint.location,
    responseId,
    issuer,
    ...(sig
      ? { signature: { method: 'xml' as const, key: sig.key, algorithm: sig.algorithm.uri } }
      : {}),
    messageName: el.localName,
    messageXml: serializeXml(el),
  };
}
