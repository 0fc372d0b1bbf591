import {
  BINDINGS,
  type BindingName,
  defineIdentityProvider,
  type Endpoint,
  type IdentityProviderConfig,
  type IdpScope,
} from '../config.js';
import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { describeValue, isSamlError, SamlError } from '../errors.js';
import { equalBytes } from '../lib/bytes.js';
import {
  attr,
  childElements,
  isElement,
  NS,
  parseDateTime,
  parseXml,
  requiredAttr,
  textOf,
  type XmlLimits,
} from '../lib/xml.js';
import { verifyElementSignature } from '../signature/verify.js';
import { addDuration, parseDuration } from './duration.js';
import { invalid, keysOf } from './key-descriptor.js';

/** The Shibboleth metadata extension namespace (`<shibmd:Scope>`). */
const SHIBMD = 'urn:mace:shibboleth:metadata:1.0';

/** The SAML 2.0 protocol URI an IDPSSODescriptor must list (SAML metadata §2.4.1). */
const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';

/** What {@link parseIdpMetadata} reads from an IdP's metadata. */
export interface IdpMetadata extends IdentityProviderConfig {
  /** `SingleLogoutService` endpoints (empty when the IdP has none). */
  readonly singleLogoutServices: readonly Endpoint[];
  /** Keys to encrypt to the IdP (`KeyDescriptor` with no `use` or `use="encryption"`). */
  readonly encryptionKeys: readonly PublicKey[];
  /** Whether the IdP asks for signed AuthnRequests. */
  readonly wantAuthnRequestsSigned: boolean;
  /** `NameIDFormat` values the IdP supports, in document order. */
  readonly nameIdFormats: readonly string[];
  /**
   * The earliest `validUntil` on the entity, its IDPSSODescriptor and every enclosing
   * EntitiesDescriptor (epoch ms), when any is set.
   */
  readonly validUntil?: number;
  /** The shortest `cacheDuration` on the same elements, in milliseconds, when any is set. */
  readonly cacheDuration?: number;
  /** Whether the metadata's own signature was verified against pinned keys. */
  readonly signatureVerified: boolean;
}

/** Options for {@link parseIdpMetadata}. */
export interface ParseIdpMetadataOptions {
  /**
   * The IdP to pick. Required when the document is an aggregate with several IdPs; when given for
   * a single EntityDescriptor, its entityID must match.
   */
  readonly entityId?: string;
  /** The current time: metadata whose `validUntil` has passed is refused. */
  readonly now: Date | number;
  /**
   * Verify the metadata's own signature (on the root EntityDescriptor or EntitiesDescriptor)
   * against these pinned keys — the federation's or the IdP's metadata-signing certificate.
   * When set, unsigned metadata is refused.
   */
  readonly verify?: {
    readonly keys: readonly PublicKey[];
    /**
     * Accept a SHA-1 based metadata signature. **Weakens security**: SHA-1 signatures can be
     * forged by a well-funded attacker. Only for federations that still sign with SHA-1.
     */
    readonly allowSha1?: boolean;
  };
  /** Size and depth limits; federation aggregates need a larger `maxSize`. */
  readonly limits?: XmlLimits;
  /** The WebCrypto provider used for the signature check. */
  readonly crypto?: CryptoProvider;
}

/** Turns an xs:boolean attribute into a boolean (XML Schema part 2 §3.2.2). */
function booleanAttr(el: Element, name: string): boolean | undefined {
  const v = attr(el, name);
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw invalid(
    `${name} on <${el.localName}> is not a boolean.`,
    'true, false, 1 or 0',
    describeValue(v),
  );
}

interface Validity {
  validUntil?: number;
  cacheDuration?: number;
}

/** Folds one element's validUntil/cacheDuration into the running minimum (SAML metadata §2.3.1). */
function addValidity(into: Validity, el: Element, now: number): void {
  const vu = attr(el, 'validUntil');
  if (vu !== undefined) {
    const t = parseDateTime(vu.trim(), `validUntil on <${el.localName}>`);
    into.validUntil = into.validUntil === undefined ? t : Math.min(into.validUntil, t);
  }
  const cd = attr(el, 'cacheDuration');
  if (cd !== undefined) {
    const ms = addDuration(now, parseDuration(cd)) - now;
    if (ms < 0)
      throw invalid('cacheDuration is negative.', 'a positive xs:duration', describeValue(cd));
    into.cacheDuration = into.cacheDuration === undefined ? ms : Math.min(into.cacheDuration, ms);
  }
}

interface Candidate {
  entity: Element;
  ancestors: Element[];
}

/** Every EntityDescriptor under the root, with its enclosing EntitiesDescriptors. */
function collectEntities(root: Element): Candidate[] {
  if (isElement(root, NS.md, 'EntityDescriptor')) return [{ entity: root, ancestors: [] }];
  const out: Candidate[] = [];
  const stack: Array<{ el: Element; ancestors: Element[] }> = [{ el: root, ancestors: [] }];
  while (stack.length > 0) {
    const { el, ancestors } = stack.pop()!;
    const chain = [...ancestors, el];
    const kids = childElements(el, NS.md);
    for (let i = kids.length - 1; i >= 0; i--) {
      const kid = kids[i]!;
      if (kid.localName === 'EntitiesDescriptor') stack.push({ el: kid, ancestors: chain });
      else if (kid.localName === 'EntityDescriptor') out.push({ entity: kid, ancestors: chain });
    }
  }
  return out;
}

function idpDescriptor(entity: Element): Element | undefined {
  // SAML metadata §2.4.1: protocolSupportEnumeration is a whitespace-separated list of URIs.
  return childElements(entity, NS.md, 'IDPSSODescriptor').find((d) =>
    (attr(d, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(SAML2_PROTOCOL),
  );
}

function bindingName(uri: string): BindingName | undefined {
  for (const [name, value] of Object.entries(BINDINGS))
    if (value === uri) return name as BindingName;
  return undefined;
}

/** Endpoints of one kind; those over bindings samlkit does not speak are skipped. */
function endpoints(descriptor: Element, localName: string, indexed: boolean): Endpoint[] {
  const out: Endpoint[] = [];
  for (const el of childElements(descriptor, NS.md, localName)) {
    const binding = bindingName(requiredAttr(el, 'Binding').trim());
    const location = requiredAttr(el, 'Location').trim();
    if (!binding) continue;
    const responseLocation = attr(el, 'ResponseLocation')?.trim();
    const e: { -readonly [K in keyof Endpoint]: Endpoint[K] } = { binding, location };
    if (responseLocation) e.responseLocation = responseLocation;
    if (indexed) {
      const index = attr(el, 'index');
      if (index !== undefined) {
        if (!/^\d+$/.test(index.trim()))
          throw invalid(
            `index on <${localName}> is not a number.`,
            'an unsigned short',
            describeValue(index),
          );
        e.index = Number(index.trim());
      }
      const isDefault = booleanAttr(el, 'isDefault');
      if (isDefault !== undefined) e.isDefault = isDefault;
    }
    out.push(Object.freeze(e));
  }
  return out;
}

function addUnique(list: PublicKey[], key: PublicKey): void {
  if (!list.some((k) => equalBytes(k.spki, key.spki))) list.push(key);
}

/**
 * Reads an IdP's SAML 2.0 metadata: an `EntityDescriptor`, or an `EntitiesDescriptor` (a
 * federation aggregate) from which one IdP is picked by entityID.
 *
 * It returns everything the SP needs to trust and talk to the IdP: endpoints per binding
 * (SingleSignOnService, SingleLogoutService with ResponseLocation, ArtifactResolutionService),
 * every signing certificate (`KeyDescriptor` with no `use` or `use="signing"` — several during a
 * rollover), encryption certificates, `WantAuthnRequestsSigned`, NameID formats, `validUntil`
 * and `cacheDuration`. Endpoints over bindings samlkit does not speak (SAML 1 profiles) are
 * skipped. Metadata whose `validUntil` has passed is refused (SAML metadata §2.3.1: it must not
 * be used after that time). With `verify`, the document's own signature must verify against the
 * pinned keys first — that is how federation aggregates are trusted.
 *
 * @param xml - the metadata document
 * @param options - entity to pick, the current time, optional signature verification and limits
 * @returns the IdP configuration plus what metadata adds
 * @throws SamlError `METADATA_INVALID` (not IdP metadata, no usable SSO endpoint or signing key,
 *   a broken value; with `verify`, a missing or failing signature — `details.signatureCode` then
 *   holds `SIGNATURE_MISSING` or the `SIGNATURE_*` code of the check), `METADATA_EXPIRED`,
 *   `METADATA_ENTITY_NOT_FOUND`, and the `XML_*` codes of the parser
 *
 * @example Trusting an IdP from its metadata file
 * ```ts
 * const idp = await parseIdpMetadata(await readFile('idp-metadata.xml', 'utf8'), {
 *   now: new Date(),
 * });
 * idp.singleSignOnServices; // [{ binding: 'redirect', location: 'https://idp.example/sso' }, …]
 * ```
 *
 * @example Picking one IdP out of a signed federation aggregate
 * ```ts
 * const idp = await parseIdpMetadata(aggregateXml, {
 *   entityId: 'https://idp.university.example/idp/shibboleth',
 *   now: Date.now(),
 *   verify: { keys: [loadPublicKey(federationSigningCertPem)] },
 *   limits: { maxSize: 100 * 1024 * 1024, maxDepth: 64 },
 * });
 * ```
 *
 * @see SAML 2.0 metadata §2.3 (EntitiesDescriptor, EntityDescriptor), §2.4.1 (RoleDescriptor),
 *   §2.4.3 (IDPSSODescriptor), §2.4.1.1 (KeyDescriptor); XML-DSig §4.4 (KeyInfo)
 */
export async function parseIdpMetadata(
  xml: string,
  options: ParseIdpMetadataOptions,
): Promise<IdpMetadata> {
  if (typeof xml !== 'string') throw new TypeError('parseIdpMetadata: xml must be a string');
  if (!options || typeof options !== 'object')
    throw new TypeError('parseIdpMetadata: options (with now) are required');
  const now = options.now instanceof Date ? options.now.getTime() : options.now;
  if (typeof now !== 'number' || !Number.isFinite(now))
    throw new TypeError('parseIdpMetadata: options.now must be a Date or epoch milliseconds');

  const doc = parseXml(xml, options.limits);
  const root = doc.documentElement;
  if (
    !isElement(root, NS.md, 'EntityDescriptor') &&
    !isElement(root, NS.md, 'EntitiesDescriptor')
  ) {
    throw invalid(
      'The document is not SAML 2.0 metadata.',
      `an <EntityDescriptor> or <EntitiesDescriptor> in namespace ${NS.md}`,
      `<${root.nodeName}> in namespace ${describeValue(root.namespaceURI)}`,
      'check the URL or file: it should be the IdP’s SAML 2.0 metadata (not a login page or WS-Fed only metadata)',
    );
  }

  let signatureVerified = false;
  if (options.verify) {
    let verified: Awaited<ReturnType<typeof verifyElementSignature>>;
    try {
      verified = await verifyElementSignature(root, {
        keys: options.verify.keys,
        ...(options.verify.allowSha1 !== undefined && { allowSha1: options.verify.allowSha1 }),
        ...(options.crypto !== undefined && { crypto: options.crypto }),
      });
    } catch (cause) {
      if (!(cause instanceof SamlError)) throw cause;
      // Reported as a metadata problem (the operator's fix is about the metadata or the pinned
      // certificate); the signature check's own code stays in details.signatureCode.
      throw new SamlError('METADATA_INVALID', 'The metadata signature does not verify.', {
        expected: 'a valid signature on the metadata by the pinned certificate',
        found: cause.message,
        hint: 'check that the pinned certificate is the current metadata-signing certificate of the federation or IdP',
        signatureCode: cause.code,
        cause,
      });
    }
    if (!verified) {
      throw new SamlError('METADATA_INVALID', 'The metadata is not signed.', {
        expected: `a ds:Signature directly inside the root <${root.localName}>`,
        found: 'no signature',
        hint: 'metadata verification is configured (verify.keys): fetch the signed metadata, or remove verify if this source is trusted by other means',
        signatureCode: 'SIGNATURE_MISSING',
      });
    }
    signatureVerified = true;
  }

  const candidates = collectEntities(root);
  const idps = candidates.filter((c) => idpDescriptor(c.entity));
  let chosen: Candidate;
  if (options.entityId !== undefined) {
    const matches = candidates.filter((c) => attr(c.entity, 'entityID') === options.entityId);
    if (matches.length > 1) {
      throw invalid(
        'The metadata lists the entity several times.',
        'each entityID once',
        `${matches.length} EntityDescriptors with entityID ${describeValue(options.entityId)}`,
      );
    }
    const match = matches[0];
    if (!match) {
      throw new SamlError('METADATA_ENTITY_NOT_FOUND', 'The IdP is not in the metadata.', {
        expected: `an EntityDescriptor with entityID ${describeValue(options.entityId)}`,
        found: `${candidates.length} entities: ${candidates
          .slice(0, 5)
          .map((c) => describeValue(attr(c.entity, 'entityID')))
          .join(', ')}${candidates.length > 5 ? ', …' : ''}`,
        hint: 'check the configured IdP entity ID against the entityID attribute in the metadata',
      });
    }
    chosen = match;
  } else if (idps.length === 1) {
    chosen = idps[0]!;
  } else {
    throw new SamlError(
      'METADATA_ENTITY_NOT_FOUND',
      idps.length === 0
        ? 'The metadata describes no SAML 2.0 IdP.'
        : 'The metadata lists several IdPs.',
      {
        expected: 'exactly one IdP, or options.entityId naming one',
        found: `${idps.length} IdPs${
          idps.length
            ? `: ${idps
                .slice(0, 5)
                .map((c) => describeValue(attr(c.entity, 'entityID')))
                .join(', ')}`
            : ''
        }`,
        hint: 'pass the entityID of the IdP to use',
      },
    );
  }

  const entity = chosen.entity;
  const entityId = requiredAttr(entity, 'entityID');
  const descriptor = idpDescriptor(entity);
  if (!descriptor) {
    throw invalid(
      'The entity is not a SAML 2.0 IdP.',
      `an <IDPSSODescriptor> whose protocolSupportEnumeration lists ${SAML2_PROTOCOL}`,
      childElements(entity, NS.md)
        .map((e) => `<${e.localName}>`)
        .join(', ') || 'no role descriptor',
      'this may be SP metadata, or SAML 1.1 / WS-Federation only',
    );
  }

  const validity: Validity = {};
  for (const el of [...chosen.ancestors, entity, descriptor]) addValidity(validity, el, now);
  if (validity.validUntil !== undefined && validity.validUntil <= now) {
    // SAML metadata §2.3.1: validUntil is the instant after which the metadata must not be used.
    throw new SamlError('METADATA_EXPIRED', 'The metadata has expired.', {
      expected: `validUntil after ${new Date(now).toISOString()}`,
      found: `validUntil ${new Date(validity.validUntil).toISOString()}`,
      hint: 'download fresh metadata from the IdP (or check this server’s clock)',
    });
  }

  const signingKeys: PublicKey[] = [];
  const encryptionKeys: PublicKey[] = [];
  for (const kd of childElements(descriptor, NS.md, 'KeyDescriptor')) {
    // SAML metadata §2.4.1.1: no use attribute means the key serves both purposes.
    const use = attr(kd, 'use')?.trim();
    if (use !== undefined && use !== 'signing' && use !== 'encryption') {
      throw invalid(
        'A KeyDescriptor has an unknown use.',
        'signing or encryption',
        describeValue(use),
      );
    }
    for (const key of keysOf(kd)) {
      if (use !== 'encryption') addUnique(signingKeys, key);
      if (use !== 'signing') addUnique(encryptionKeys, key);
    }
  }
  if (signingKeys.length === 0) {
    throw invalid(
      'The IdP metadata has no signing certificate.',
      'a <KeyDescriptor use="signing"> (or without use) with a certificate',
      'none',
      'without one, no response from this IdP could be verified; ask the IdP for complete metadata',
    );
  }

  const singleSignOnServices = endpoints(descriptor, 'SingleSignOnService', false);
  if (singleSignOnServices.length === 0) {
    throw invalid(
      'The IdP metadata has no usable SingleSignOnService.',
      'a SingleSignOnService over HTTP-Redirect or HTTP-POST',
      childElements(descriptor, NS.md, 'SingleSignOnService')
        .map((e) => describeValue(attr(e, 'Binding')))
        .join(', ') || 'none',
    );
  }
  const nameIdFormats = childElements(descriptor, NS.md, 'NameIDFormat').map((e) =>
    textOf(e).trim(),
  );

  // Shibboleth metadata extension `<shibmd:Scope>` (on the IDPSSODescriptor or the entity): the
  // scopes the IdP may assert (SAML V2.0 Subject Identifier Attributes Profile §3.2 relies on it).
  const scopes: IdpScope[] = [];
  for (const holder of [descriptor, entity]) {
    for (const ext of childElements(holder, NS.md, 'Extensions')) {
      for (const el of childElements(ext, SHIBMD, 'Scope')) {
        const value = textOf(el).trim();
        if (value !== '')
          scopes.push({ value, ...(attr(el, 'regexp') === 'true' && { regexp: true }) });
      }
    }
  }

  const result: IdpMetadata = {
    entityId,
    singleSignOnServices,
    singleLogoutServices: endpoints(descriptor, 'SingleLogoutService', false),
    artifactResolutionServices: endpoints(descriptor, 'ArtifactResolutionService', true),
    signingKeys,
    encryptionKeys,
    wantAuthnRequestsSigned: booleanAttr(descriptor, 'WantAuthnRequestsSigned') ?? false,
    nameIdFormats,
    ...(scopes.length > 0 && { scopes }),
    ...(validity.validUntil !== undefined ? { validUntil: validity.validUntil } : {}),
    ...(validity.cacheDuration !== undefined ? { cacheDuration: validity.cacheDuration } : {}),
    signatureVerified,
  };
  try {
    return defineIdentityProvider(result) as IdpMetadata;
  } catch (cause) {
    if (!isSamlError(cause, 'CONFIG_INVALID')) throw cause;
    throw new SamlError('METADATA_INVALID', 'The IdP metadata holds an unusable value.', {
      ...(cause.details.expected !== undefined && { expected: cause.details.expected }),
      found: `${cause.details.found} (${cause.message})`,
      hint: 'endpoint locations must be absolute http(s) URLs; ask the IdP for corrected metadata',
      cause,
    });
  }
}
