// HTTP-Artifact at the ACS (SAML bindings §3.6): the artifact names its issuer (SourceID) and the
// issuer's ArtifactResolutionService (EndpointIndex); the SP asks that service over SOAP for the
// Response, which is then validated exactly as a POSTed one.

import { parseArtifact, sha1 } from '../bindings/artifact.js';
import { describeValue, SamlError } from '../errors.js';
import { toHex, utf8 } from '../lib/bytes.js';
import { isLocalOrPrivateHostname, isLoopbackHostname } from '../lib/private-host.js';
import { chooseEndpoint, resolveArtifact } from '../protocol/artifact-resolution.js';
import { type AcsReceived, artifactSourceKey } from './acs-receive.js';
import type { EffectivePolicy } from './idp-policy.js';
import type { IdpChoice, Settings } from './settings.js';

/** How long a received artifact is remembered (its IdP must resolve it far sooner). */
const ARTIFACT_MEMORY_MS = 15 * 60_000;

/**
 * SourceID (hex) → entity ID of a list of IdPs, built once per list: the static IdP map or a
 * registry's `entityIds` array (a registry that changes its list hands out a new array, and the
 * index is rebuilt). Without it every artifact, from anyone, would cost one SHA-1 per IdP.
 */
const sourceIndexes = new WeakMap<object, Promise<ReadonlyMap<string, string>>>();

function sourceIndex(
  list: object,
  entityIds: () => Iterable<string>,
  crypto: Settings['crypto'],
): Promise<ReadonlyMap<string, string>> {
  let index = sourceIndexes.get(list);
  if (index === undefined) {
    index = (async () => {
      const map = new Map<string, string>();
      for (const entityId of entityIds()) {
        // SAML bindings §3.6.4.2: SourceID is the SHA-1 hash of the issuer's entity ID.
        const hex = toHex(await sha1(utf8(entityId), crypto));
        if (!map.has(hex)) map.set(hex, entityId);
      }
      return map;
    })();
    sourceIndexes.set(list, index);
    // A failed build (no WebCrypto) is not kept: the next artifact tries again.
    index.catch(() => sourceIndexes.delete(list));
  }
  return index;
}

/**
 * The entity ID of the IdP whose SourceID (SHA-1 of the entity ID, SAML bindings §3.6.4.2) an
 * artifact carries: among the configured IdPs (a static list or a registry), else the one a login
 * of this SP went to (remembered in the store when the login began: an IdP resolver cannot be
 * listed).
 */
async function issuerOfSource(s: Settings, sourceIdHex: string): Promise<string> {
  if (s.idps.size > 0) {
    const idps = s.idps;
    const index = await sourceIndex(
      idps,
      () => [...idps.values()].map((i) => i.entityId),
      s.crypto,
    );
    const found = index.get(sourceIdHex);
    if (found !== undefined) return found;
  }
  const registryIds = (s.options.idps as { readonly entityIds?: unknown }).entityIds;
  if (Array.isArray(registryIds)) {
    const ids = registryIds as readonly string[];
    const found = (await sourceIndex(ids, () => ids, s.crypto)).get(sourceIdHex);
    if (found !== undefined) return found;
  }
  const remembered = await s.store.getValue(artifactSourceKey(sourceIdHex));
  if (remembered !== undefined) return remembered;
  throw new SamlError('IDP_UNKNOWN', 'The artifact comes from an IdP this SP does not know.', {
    expected: 'an artifact whose SourceID is the SHA-1 of a configured IdP’s entity ID',
    found: `SourceID ${sourceIdHex}`,
    hint: 'the IdP is not configured for this SP (or, with an IdP resolver, no login to it was started here in the last requestTtlMs)',
  });
}

/**
 * The issuer an artifact claims (by its SourceID), before anything is resolved: it decides only
 * whose ArtifactResolutionService is asked and whose keys verify the answer.
 * @throws SamlError `BINDING_INVALID`, `BASE64_INVALID`, `IDP_UNKNOWN`
 * @internal
 */
export async function artifactIssuer(s: Settings, samlart: string): Promise<string> {
  const parsed = parseArtifact(samlart);
  return issuerOfSource(s, toHex(parsed.sourceId));
}

/**
 * Resolves the artifact of `received` with the chosen IdP: refuses one seen before (an artifact
 * is one-time, SAML bindings §3.6.4), then sends a signed ArtifactResolve to the IdP's
 * ArtifactResolutionService from its metadata (https; plain http only when the SP runs on a
 * loopback host; no private endpoint for an IdP that is not configured statically) and
 * checks the ArtifactResponse (signature when present, Issuer, InResponseTo, IssueInstant,
 * Status; SAML bindings §3.6.5, profiles §4.1.4.3). The Response inside is returned for the
 * ordinary ACS checks.
 * @throws SamlError `REPLAY_DETECTED`, and as `resolveArtifact`
 * @internal
 */
export async function resolveAtAcs(
  s: Settings,
  received: AcsReceived,
  choice: IdpChoice,
  policy: EffectivePolicy,
): Promise<AcsReceived> {
  const samlart = received.artifact!;
  const parsed = parseArtifact(samlart);
  const now = s.now();
  // SAML bindings §3.6.4: an artifact is used once. Remembered before the SOAP call, so that a
  // replayed artifact never reaches the IdP and two concurrent uses cannot both resolve it.
  const key = `artifact:${toHex(parsed.sourceId)}:${toHex(parsed.messageHandle)}`;
  if (!(await s.store.rememberOnce(key, now + ARTIFACT_MEMORY_MS))) {
    throw new SamlError('REPLAY_DETECTED', 'This artifact was already used.', {
      expected: 'an artifact received for the first time (SAML bindings §3.6.4)',
      found: `an artifact from ${describeValue(choice.idp.entityId)} received before`,
      hint: 'the browser re-sent the artifact (back button, reload) or it was captured and replayed; start a new login',
    });
  }
  // https only, as for every back-channel call; plain http only when the SP itself runs on a
  // loopback host (development). The endpoint comes from the IdP's metadata: for an IdP that is
  // not configured statically (registry, federation, MDQ, resolver) that metadata is a third
  // party's, so an endpoint on this machine or a private network is refused (the SP would post a
  // signed request wherever a federation member points it).
  const spOnLoopback = isLoopbackHostname(s.base.hostname);
  const endpoint = chooseEndpoint(choice.idp.artifactResolutionServices, parsed.endpointIndex);
  const host = new URL(endpoint.location).hostname;
  if (!spOnLoopback && s.idps.size === 0 && isLocalOrPrivateHostname(host)) {
    throw new SamlError(
      'HTTP_REQUEST_FAILED',
      'The IdP’s ArtifactResolutionService is on a loopback, private or link-local address.',
      {
        expected:
          'an ArtifactResolutionService on a public host (SAML bindings §3.6.3: the SP sends the ArtifactResolve to the endpoint in the issuer’s metadata)',
        found: `${describeValue(endpoint.location)} in the metadata of ${describeValue(choice.idp.entityId)}`,
        hint: 'metadata from a registry, federation or resolver may not send the SP to its own network; configure the IdP statically if the endpoint really is internal',
        url: endpoint.location,
      },
    );
  }
  const resolved = await resolveArtifact(samlart, {
    sp: {
      entityId: s.sp.entityId,
      ...(s.sp.signingKeys !== undefined && { signingKeys: s.sp.signingKeys }),
    },
    idp: choice.idp,
    now,
    clockSkewMs: policy.clockSkewMs,
    allowSha1: policy.allowSha1,
    ...(s.options.fetch !== undefined && { fetch: s.options.fetch }),
    ...(s.sp.signatureAlgorithm !== undefined && { signatureAlgorithm: s.sp.signatureAlgorithm }),
    ...(s.crypto !== undefined && { crypto: s.crypto }),
    ...(spOnLoopback ? { allowInsecureHttpForDevelopment: true } : {}),
  });
  if (resolved.messageName !== 'Response') {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The artifact stands for no Response.', {
      expected: '<samlp:Response> inside the ArtifactResponse (SAML profiles §4.1.4.3)',
      found: `<${resolved.messageName}>`,
      hint: 'logout messages go to the SLO endpoint',
    });
  }
  return {
    ...received,
    xml: resolved.messageXml,
    ...(resolved.signature !== undefined && { bindingSignature: resolved.signature }),
  };
}
