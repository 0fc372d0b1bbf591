// How a Response reaches the ACS, per binding: HTTP-POST, HTTP-Redirect, and — when the SP lists
// an AssertionConsumerService with that binding — HTTP-POST-SimpleSign and HTTP-Artifact.

import { sha1 } from '../bindings/artifact.js';
import type { MessageSignatureInfo } from '../bindings/incoming.js';
import { decodePost } from '../bindings/post.js';
import {
  type DecodedRedirect,
  decodeRedirect,
  verifyRedirectSignature,
} from '../bindings/redirect.js';
import {
  type DecodedSimpleSign,
  decodeSimpleSign,
  verifySimpleSignSignature,
} from '../bindings/simple-sign.js';
import type { BindingName, IdentityProviderConfig } from '../config.js';
import { SamlError } from '../errors.js';
import { toHex, utf8 } from '../lib/bytes.js';
import type { FormFields } from '../lib/form.js';
import { readForm } from './http.js';
import type { Settings } from './settings.js';

/** The bindings a Response can arrive on at the ACS. @internal */
export type AcsBinding = 'post' | 'redirect' | 'simpleSign' | 'artifact';

/** What the ACS received, before any check. @internal */
export interface AcsReceived {
  readonly binding: AcsBinding;
  /** The Response XML (for an artifact: filled in once it is resolved). */
  readonly xml: string;
  readonly relayState: string | undefined;
  /** The decoded query of a Redirect-binding Response (its signature is checked later). */
  readonly redirect?: DecodedRedirect;
  /** The decoded form of a SimpleSign Response (its signature is checked before any other use). */
  readonly simpleSign?: DecodedSimpleSign;
  /** The `SAMLart` value of an HTTP-Artifact delivery, not yet resolved. */
  readonly artifact?: string;
  /** For an artifact: the signed ArtifactResponse's signature, once resolved. */
  readonly bindingSignature?: MessageSignatureInfo;
}

/**
 * Whether the SP accepts Responses on `binding` at its ACS: only when one of its
 * AssertionConsumerService endpoints (which SP metadata publishes) names that binding.
 * @internal
 */
export function acsAccepts(s: Settings, binding: BindingName): boolean {
  return s.sp.assertionConsumerServices.some((e) => e.binding === binding);
}

function notEnabled(binding: 'artifact' | 'simpleSign', found: string): SamlError {
  const uri =
    binding === 'artifact'
      ? 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact'
      : 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign';
  return new SamlError('BINDING_INVALID', 'The ACS does not accept this binding.', {
    expected: 'a Response on a binding the SP publishes for its AssertionConsumerService',
    found,
    hint: `list { binding: '${binding}' } in sp.assertionConsumerServices to accept ${uri}, or configure the IdP to answer with HTTP-POST`,
  });
}

function single(form: FormFields, name: string): string | undefined {
  const all = form.getAll(name);
  if (all.length > 1) {
    throw new SamlError('BINDING_INVALID', `The form carries ${name} more than once.`, {
      expected: `at most one ${name} field`,
      found: `${all.length}`,
    });
  }
  return all[0];
}

function artifactOnly(carrier: string, hasResponse: boolean): void {
  // SAML bindings §3.6.3: the artifact stands in for the message; both at once is ambiguous.
  if (hasResponse) {
    throw new SamlError('BINDING_INVALID', `The ${carrier} carries both SAMLart and a message.`, {
      expected: 'either SAMLart (HTTP-Artifact) or SAMLResponse',
      found: 'both',
    });
  }
}

/**
 * Reads the Response (or the artifact standing for it) from the ACS request, per binding. Nothing
 * is verified here; the callers verify the binding signature (Redirect, SimpleSign) with the
 * IdP's keys before anything in the message is used, and resolve an artifact over SOAP.
 * @throws SamlError `BINDING_INVALID`, `BASE64_INVALID`, `XML_TOO_LARGE`, `INFLATE_*`
 * @internal
 */
export async function receiveAtAcs(s: Settings, request: Request): Promise<AcsReceived> {
  if (request.method === 'POST') {
    const form = await readForm(request);
    const artifact = single(form, 'SAMLart');
    const value = form.get('SAMLResponse');
    const relay = form.get('RelayState') ?? undefined;
    if (artifact !== undefined) {
      // SAML bindings §3.6.3: the artifact may be delivered by an HTML form POST.
      artifactOnly('POST', value !== null);
      if (!acsAccepts(s, 'artifact')) throw notEnabled('artifact', 'SAMLart in a POST');
      return { binding: 'artifact', xml: '', relayState: relay, artifact };
    }
    if (value === null) {
      throw new SamlError('BINDING_INVALID', 'The POST carries no SAMLResponse.', {
        expected: 'a SAMLResponse form field (SAML bindings §3.5.4)',
        found: form.has('SAMLRequest')
          ? 'a SAMLRequest (send requests to the SLO endpoint)'
          : 'none',
      });
    }
    const sigAlg = single(form, 'SigAlg');
    const signature = single(form, 'Signature');
    if (sigAlg !== undefined || signature !== undefined) {
      // SimpleSign §2.3: SigAlg and Signature beside the message make it a SimpleSign form.
      if (!acsAccepts(s, 'simpleSign')) {
        throw notEnabled('simpleSign', 'SigAlg/Signature form fields (HTTP-POST-SimpleSign)');
      }
      const decoded = decodeSimpleSign({
        SAMLResponse: value,
        ...(relay !== undefined && { RelayState: relay }),
        ...(sigAlg !== undefined && { SigAlg: sigAlg }),
        ...(signature !== undefined && { Signature: signature }),
      });
      return { binding: 'simpleSign', xml: decoded.xml, relayState: relay, simpleSign: decoded };
    }
    return { binding: 'post', xml: decodePost(value), relayState: relay };
  }
  const query = new URL(request.url).searchParams;
  if (query.has('SAMLart')) {
    // SAML bindings §3.6.3: the artifact in the query string of a GET.
    artifactOnly('query', query.has('SAMLResponse'));
    const values = query.getAll('SAMLart');
    if (values.length > 1) {
      throw new SamlError('BINDING_INVALID', 'The query carries SAMLart more than once.', {
        expected: 'one SAMLart parameter',
        found: `${values.length}`,
      });
    }
    if (!acsAccepts(s, 'artifact')) throw notEnabled('artifact', 'SAMLart in the query');
    const relays = query.getAll('RelayState');
    if (relays.length > 1) {
      throw new SamlError('BINDING_INVALID', 'The query carries RelayState more than once.', {
        expected: 'at most one RelayState parameter',
        found: `${relays.length}`,
      });
    }
    return { binding: 'artifact', xml: '', relayState: relays[0], artifact: values[0]! };
  }
  // SAML bindings §3.4: a Response on the HTTP-Redirect binding.
  const redirect = await decodeRedirect(request.url);
  if (redirect.type !== 'SAMLResponse') {
    throw new SamlError('BINDING_INVALID', 'The query carries no SAMLResponse.', {
      expected: 'a SAMLResponse query parameter (SAML bindings §3.4.4)',
      found: redirect.type,
    });
  }
  return { binding: 'redirect', xml: redirect.xml, relayState: redirect.relayState, redirect };
}

/** The store key that remembers the entity ID behind an artifact SourceID. @internal */
export function artifactSourceKey(sourceIdHex: string): string {
  return `artifact-source:${sourceIdHex}`;
}

/**
 * Remembers which IdP a login went to by the SourceID its artifacts will carry (SHA-1 of the
 * entity ID, SAML bindings §3.6.4.2), for IdPs the SP cannot list (an IdP resolver).
 * @internal
 */
export async function rememberArtifactSource(
  s: Settings,
  entityId: string,
  expiresAt: number,
): Promise<void> {
  const hex = toHex(await sha1(utf8(entityId), s.crypto));
  await s.store.setValue(artifactSourceKey(hex), entityId, expiresAt);
}

/**
 * Verifies the binding-level signature of a received Response with the IdP's configured keys
 * (never a key the message brings): a signed Redirect query (SAML bindings §3.4.4.1) and a
 * SimpleSign form (SimpleSign §2.5), which must be signed. Returns the signature that covers the
 * whole Response as the bytes it was parsed from — the SimpleSign form's, or the signed
 * ArtifactResponse's —, which then counts as a Response signature; the Redirect query signature
 * is checked but, as before, does not stand in for the XML signature.
 * @throws SamlError `SIGNATURE_*`
 * @internal
 */
export async function verifyBindingSignature(
  s: Settings,
  received: AcsReceived,
  idp: IdentityProviderConfig,
  allowSha1: boolean,
): Promise<MessageSignatureInfo | undefined> {
  const opts = {
    keys: idp.signingKeys,
    allowSha1,
    ...(s.crypto !== undefined && { crypto: s.crypto }),
  };
  if (received.redirect?.signature) {
    await verifyRedirectSignature(received.redirect, opts);
    return undefined;
  }
  if (received.simpleSign) {
    // Throws SIGNATURE_MISSING for a SimpleSign form without both SigAlg and Signature.
    const key = await verifySimpleSignSignature(received.simpleSign, opts);
    return { method: 'simpleSign', key, algorithm: received.simpleSign.sigAlg! };
  }
  return received.bindingSignature;
}
