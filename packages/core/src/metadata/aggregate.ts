import {
  assertHashAllowed,
  digestAlgorithm,
  signatureAlgorithmByUri,
} from '../crypto/algorithms.js';
import type { PublicKey } from '../crypto/keys.js';
import { type CryptoProvider, resolveCrypto } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { equalBytes, fromBase64, utf8 } from '../lib/bytes.js';
import { canonicalize } from '../lib/c14n.js';
import {
  attr,
  childElements,
  NS,
  parseDateTime,
  parseXml,
  requiredChild,
  resolveXmlLimits,
  textOf,
  type XmlLimits,
} from '../lib/xml.js';
import { scanXml } from '../lib/xml-scan.js';
import { verifyBytes } from '../signature/raw.js';
import { C14N, ENVELOPED_SIGNATURE } from '../signature/verify.js';
import { type StreamElement, streamExclusiveC14n } from './aggregate-c14n.js';
import { createDiscoveryCollector, type DiscoveryInfo } from './aggregate-discovery.js';
import { type IdpMetadata, parseIdpMetadata } from './idp.js';

const MDRPI = 'urn:oasis:names:tc:SAML:metadata:rpi';
const MDATTR = 'urn:oasis:names:tc:SAML:metadata:attribute';
const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
/** The entity attribute that carries entity categories (REFEDS / macedir). */
const ENTITY_CATEGORY = 'http://macedir.org/entity-category';
/** The entity attribute that carries assurance certifications such as SIRTFI. */
const ASSURANCE_CERTIFICATION = 'urn:oasis:names:tc:SAML:attribute:assurance-certification';
/** The REFEDS hide-from-discovery entity category. */
export const HIDE_FROM_DISCOVERY = 'http://refeds.org/category/hide-from-discovery';

/** Options of {@link loadAggregate}. */
export interface LoadAggregateOptions {
  /** The federation's pinned metadata-signing keys. Only these verify the aggregate. */
  readonly keys: readonly PublicKey[];
  /** The current time: an aggregate whose validUntil has passed is refused. */
  readonly now: Date | number;
  /** Accept a SHA-1 based signature. **Weakens security.** */
  readonly allowSha1?: boolean;
  /**
   * Parsing limits. Default `maxSize` 128 MiB (characters); the count limits follow it
   * ({@link XmlLimits.maxNodes}). Every other limit keeps its default.
   */
  readonly limits?: XmlLimits;
  /** The WebCrypto provider. */
  readonly crypto?: CryptoProvider;
}

/** What the index knows of an entity without parsing it. */
export interface AggregateEntitySummary {
  readonly entityId: string;
  /** Has an IDPSSODescriptor listing SAML 2.0. */
  readonly idp: boolean;
  /** Has an SPSSODescriptor. */
  readonly sp: boolean;
  /** `mdrpi:RegistrationInfo/@registrationAuthority`, when present. */
  readonly registrationAuthority?: string;
  /** Values of the `http://macedir.org/entity-category` entity attribute. */
  readonly entityCategories: readonly string[];
  /** Values of the assurance-certification entity attribute (e.g. `https://refeds.org/sirtfi`). */
  readonly assuranceCertifications: readonly string[];
  /** Carries the REFEDS hide-from-discovery category: do not list it in a discovery page. */
  readonly hiddenFromDiscovery: boolean;
  /** IdPs: what a discovery page shows and searches (mdui:UIInfo, mdui:DiscoHints, shibmd:Scope). */
  readonly discovery?: DiscoveryInfo;
}

/**
 * Which entities of an aggregate an SP trusts. Every condition given must hold; `{}` trusts every
 * entity. `deny` always wins.
 */
export interface AggregateTrust {
  /** Only entities registered by one of these authorities (`mdrpi:RegistrationInfo`). */
  readonly registrationAuthorities?: readonly string[];
  /** Only entities carrying at least one of these entity categories. */
  readonly entityCategories?: readonly string[];
  /** Only these entity IDs. */
  readonly allow?: readonly string[];
  /** Never these entity IDs. */
  readonly deny?: readonly string[];
}

/** A verified, indexed federation aggregate. */
export interface FederationAggregate {
  /** The aggregate's `Name`, when present. */
  readonly name: string | undefined;
  /** The root's `validUntil` (epoch ms), when present. */
  readonly validUntil: number | undefined;
  /** How many EntityDescriptors, IdPs and SPs it holds. */
  readonly counts: { readonly entities: number; readonly idps: number; readonly sps: number };
  /** The summary of one entity, or undefined. */
  summary(entityId: string): AggregateEntitySummary | undefined;
  /** Every entity summary, in document order. */
  entities(): readonly AggregateEntitySummary[];
  /** Whether `trust` admits the entity. */
  isTrusted(entityId: string, trust: AggregateTrust): boolean;
  /**
   * The IdP's metadata, parsed from its own bytes of the verified document on first use (then
   * cached). Refused when the entity is absent, not an IdP, or not admitted by `trust`.
   * @throws SamlError `METADATA_ENTITY_NOT_FOUND`, `METADATA_INVALID`, `METADATA_EXPIRED`
   */
  idp(
    entityId: string,
    options: { readonly now: Date | number; readonly trust?: AggregateTrust },
  ): Promise<IdpMetadata>;
}

interface Entry {
  readonly summary: AggregateEntitySummary;
  readonly start: number;
  readonly end: number;
  /** Start tags of the enclosing EntitiesDescriptors (declarations, validity), outermost first. */
  readonly wrapper: WrapperTag[];
  duplicate: boolean;
  cached?: IdpMetadata;
}

interface WrapperTag {
  readonly open: string;
  readonly close: string;
}

interface MutableSummary {
  entityId: string;
  idp: boolean;
  sp: boolean;
  registrationAuthority?: string;
  entityCategories: string[];
  assuranceCertifications: string[];
  hiddenFromDiscovery: boolean;
  discovery?: DiscoveryInfo;
}

function invalid(summary: string, expected: string, found: string): SamlError {
  return new SamlError('METADATA_INVALID', summary, {
    expected,
    found,
    hint: 'check the aggregate URL and the pinned federation certificate',
  });
}

function signatureFailure(cause: SamlError): SamlError {
  return new SamlError('METADATA_INVALID', 'The metadata signature does not verify.', {
    expected: 'a valid signature on the aggregate by the pinned certificate',
    found: cause.message,
    hint: 'check that the pinned certificate is the current metadata-signing certificate of the federation',
    signatureCode: cause.code,
    cause,
  });
}

const XML_SPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;

function escapeAttr(v: string): string {
  return v.replace(/[&<"\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Loads a signed federation aggregate (SAML metadata §2.3.1 EntitiesDescriptor) without building
 * its DOM: one linear scan checks it against the parsing limits, one streaming pass computes its
 * exclusive canonical form (the Signature left out, XML-DSig §6.6.4) and indexes every
 * EntityDescriptor by entityID with its byte range; then the SignatureValue is checked over the
 * canonical SignedInfo with the pinned keys, and only then the digest of the whole document
 * (XML Signature Best Practices, BP 1). Each IdP is parsed from its own range on first lookup.
 *
 * Supported signatures: the enveloped signature as federations write it — one Reference to the
 * root's ID, transforms enveloped-signature then exclusive c14n without a PrefixList.
 *
 * @param xml - the aggregate
 * @param options - pinned keys, clock, limits
 * @returns the verified index
 * @throws SamlError `METADATA_INVALID` (the signature's own code in `details.signatureCode`),
 *   `METADATA_EXPIRED`, and the parsing codes (`XML_*`)
 * @see SAML metadata §2.3.1; XML-DSig §3.2 (core validation), §6.6.4; exc-c14n §3
 * @example
 * ```ts
 * const fed = await loadAggregate(await (await fetch(url)).text(), {
 *   keys: [loadPublicKey(federationCertPem)],
 *   now: Date.now(),
 * });
 * const idp = await fed.idp('https://idp.example.edu/idp/shibboleth', { now: Date.now() });
 * ```
 */
export async function loadAggregate(
  xml: string,
  options: LoadAggregateOptions,
): Promise<FederationAggregate> {
  if (typeof xml !== 'string') throw new TypeError('loadAggregate: xml must be a string');
  const now = options.now instanceof Date ? options.now.getTime() : options.now;
  if (typeof now !== 'number' || !Number.isFinite(now))
    throw new TypeError('loadAggregate: options.now must be a Date or epoch milliseconds');
  const limits = resolveXmlLimits({ maxSize: 128 * 1024 * 1024, ...options.limits });
  if (xml.length > limits.maxSize) {
    throw new SamlError('XML_TOO_LARGE', 'The aggregate is larger than the configured limit.', {
      expected: `at most ${limits.maxSize} characters`,
      found: `${xml.length} characters`,
      hint: 'raise limits.maxSize if the federation publishes aggregates this large',
    });
  }
  const bom = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  const text = bom ? xml.slice(1) : xml;
  // XML 1.0 well-formedness and every structural limit, before anything else reads the text.
  scanXml(text, limits, bom);

  const entries = new Map<string, Entry>();
  const order: Entry[] = [];
  let root: StreamElement | undefined;
  let rootId: string | undefined;
  let idCount = 0;
  let signature: { start: number; end: number } | undefined;
  let signatures = 0;
  let inSignature = false;
  // The open elements: "uri local" per depth; EntitiesDescriptor start tags for wrappers.
  const path: string[] = [];
  const wrappers: WrapperTag[] = [];
  let entity:
    | { summary: MutableSummary; start: number; depth: number; wrapper: WrapperTag[] }
    | undefined;
  let collecting: string[] | undefined;
  let attributeName: string | undefined;
  const discovery = createDiscoveryCollector();

  const canonical = streamExclusiveC14n(text, {
    start(el) {
      path[el.depth] = `${el.uri} ${el.local}`;
      path.length = el.depth + 1;
      if (el.depth === 0) {
        root = el;
        rootId = el.attributes.find((a) => a.name === 'ID' && a.uri === '')?.value;
      }
      if (rootId !== undefined) {
        for (const a of el.attributes) {
          if (
            a.uri === '' &&
            (a.name === 'ID' || a.name === 'Id' || a.name === 'id') &&
            a.value === rootId
          )
            idCount++;
        }
      }
      if (el.depth === 1 && el.uri === NS.ds && el.local === 'Signature') {
        signatures++;
        inSignature = true;
        signature = { start: el.start, end: -1 };
        return true;
      }
      if (el.uri === NS.md && el.local === 'EntitiesDescriptor' && entity === undefined) {
        wrappers[el.depth] = wrapperTag(el);
        wrappers.length = el.depth + 1;
      } else if (el.uri === NS.md && el.local === 'EntityDescriptor' && entity === undefined) {
        const entityId = el.attributes.find((a) => a.name === 'entityID' && a.uri === '')?.value;
        if (entityId === undefined)
          throw invalid(
            'An EntityDescriptor has no entityID.',
            'entityID (SAML metadata §2.3.2)',
            'none',
          );
        entity = {
          summary: {
            entityId,
            idp: false,
            sp: false,
            entityCategories: [],
            assuranceCertifications: [],
            hiddenFromDiscovery: false,
          },
          start: el.start,
          depth: el.depth,
          wrapper: wrappers.slice(0, el.depth),
        };
      } else if (entity !== undefined) {
        const rel = el.depth - entity.depth;
        discovery.start(el, rel);
        const parent = path[el.depth - 1];
        if (rel === 1 && el.uri === NS.md && el.local === 'IDPSSODescriptor') {
          const protocols =
            el.attributes.find((a) => a.name === 'protocolSupportEnumeration')?.value ?? '';
          if (protocols.split(/[ \t\r\n]+/).includes(SAML2_PROTOCOL)) entity.summary.idp = true;
        } else if (rel === 1 && el.uri === NS.md && el.local === 'SPSSODescriptor') {
          entity.summary.sp = true;
        } else if (
          rel === 2 &&
          parent === `${NS.md} Extensions` &&
          el.uri === MDRPI &&
          el.local === 'RegistrationInfo'
        ) {
          const ra = el.attributes.find(
            (a) => a.name === 'registrationAuthority' && a.uri === '',
          )?.value;
          if (ra !== undefined) entity.summary.registrationAuthority = ra.replace(XML_SPACE, '');
        } else if (
          rel === 3 &&
          parent === `${MDATTR} EntityAttributes` &&
          path[el.depth - 2] === `${NS.md} Extensions` &&
          el.uri === NS.saml &&
          el.local === 'Attribute'
        ) {
          attributeName = el.attributes.find((a) => a.name === 'Name' && a.uri === '')?.value;
        } else if (
          rel === 4 &&
          parent === `${NS.saml} Attribute` &&
          el.uri === NS.saml &&
          el.local === 'AttributeValue'
        ) {
          if (attributeName === ENTITY_CATEGORY || attributeName === ASSURANCE_CERTIFICATION)
            collecting = [];
        }
      }
      return false;
    },
    text(depth, value) {
      collecting?.push(value);
      if (entity !== undefined) discovery.text(depth - entity.depth, value);
    },
    end(depth, end) {
      if (depth === 1 && inSignature) {
        signature!.end = end;
        inSignature = false;
      }
      if (entity === undefined) return;
      const rel = depth - entity.depth;
      discovery.end(rel);
      if (collecting !== undefined && rel === 4) {
        // xs:anyURI: XML white space only is collapsed (XML Schema part 2 §3.2.17).
        const v = collecting.join('').replace(XML_SPACE, '');
        const s = entity.summary;
        if (attributeName === ENTITY_CATEGORY) {
          s.entityCategories.push(v);
          if (v === HIDE_FROM_DISCOVERY) s.hiddenFromDiscovery = true;
        } else {
          s.assuranceCertifications.push(v);
        }
        collecting = undefined;
      } else if (rel === 3) {
        attributeName = undefined;
      } else if (rel === 0) {
        const found = discovery.take();
        if (found !== undefined && entity.summary.idp) entity.summary.discovery = found;
        const existing = entries.get(entity.summary.entityId);
        const entry: Entry = {
          summary: Object.freeze({ ...entity.summary }),
          start: entity.start,
          end,
          wrapper: entity.wrapper,
          duplicate: existing !== undefined,
        };
        if (existing) existing.duplicate = true;
        else entries.set(entry.summary.entityId, entry);
        order.push(entry);
        entity = undefined;
      }
    },
  });

  if (!root || root.uri !== NS.md || root.local !== 'EntitiesDescriptor') {
    throw invalid(
      'The document is not a metadata aggregate.',
      `an <EntitiesDescriptor> in namespace ${NS.md}`,
      root ? `<${root.qname}> in namespace ${describeValue(root.uri)}` : 'no root',
    );
  }
  if (signatures !== 1) {
    throw new SamlError(
      'METADATA_INVALID',
      signatures === 0 ? 'The metadata is not signed.' : 'The aggregate has several signatures.',
      {
        expected: 'one ds:Signature directly inside the root <EntitiesDescriptor>',
        found: `${signatures}`,
        hint: 'fetch the signed aggregate from the federation',
        signatureCode: signatures === 0 ? 'SIGNATURE_MISSING' : 'SIGNATURE_STRUCTURE_INVALID',
      },
    );
  }

  // The Signature element, parsed alone inside a copy of the root's start tag (so it has the
  // same namespaces and xml:* attributes in scope as in the document).
  const rootTagEnd = text.indexOf('>', root.start) + 1;
  const mini = parseXml(
    `${text.slice(root.start, rootTagEnd)}${text.slice(signature!.start, signature!.end)}</${root.qname}>`,
  );
  const sigEl = childElements(mini.documentElement, NS.ds, 'Signature')[0]!;
  const provider = resolveCrypto(options.crypto);
  try {
    if (!rootId || idCount !== 1) {
      throw new SamlError(
        'SIGNATURE_DUPLICATE_ID',
        'The signed ID is missing or occurs more than once.',
        {
          expected: 'one element with the root ID',
          found: `${rootId === undefined ? 'no ID' : idCount}`,
          hint: 'duplicate IDs are a signature-wrapping technique',
        },
      );
    }
    const digest = await checkSignedInfo(sigEl, rootId, options, provider);
    const actual = new Uint8Array(
      await provider.subtle.digest(digest.hash, canonical as BufferSource),
    );
    if (!equalBytes(actual, digest.value)) {
      throw new SamlError('SIGNATURE_DIGEST_MISMATCH', 'The signed aggregate was modified.', {
        expected: 'the digest in the signature to match the aggregate',
        found: 'a different digest',
        hint: 'the aggregate was altered after signing, or truncated in transit',
      });
    }
  } catch (e) {
    if (e instanceof SamlError && e.code.startsWith('SIGNATURE_')) throw signatureFailure(e);
    throw e;
  }

  const name = root.attributes.find((a) => a.name === 'Name' && a.uri === '')?.value;
  const vu = root.attributes.find((a) => a.name === 'validUntil' && a.uri === '')?.value;
  const validUntil =
    vu === undefined
      ? undefined
      : parseDateTime(vu.replace(XML_SPACE, ''), 'validUntil on <EntitiesDescriptor>');
  if (validUntil !== undefined && validUntil <= now) {
    // SAML metadata §2.3.1: validUntil is the instant after which the metadata must not be used.
    throw new SamlError('METADATA_EXPIRED', 'The aggregate has expired.', {
      expected: `validUntil after ${new Date(now).toISOString()}`,
      found: `validUntil ${new Date(validUntil).toISOString()}`,
      hint: 'download a fresh aggregate (or check this server’s clock)',
    });
  }

  let idps = 0;
  let sps = 0;
  for (const e of order) {
    if (e.summary.idp) idps++;
    if (e.summary.sp) sps++;
  }
  const summaries = Object.freeze(order.map((e) => e.summary));
  const trusted = (e: Entry, trust: AggregateTrust): boolean => {
    const s = e.summary;
    if (trust.deny?.includes(s.entityId)) return false;
    if (trust.allow !== undefined && !trust.allow.includes(s.entityId)) return false;
    if (
      trust.registrationAuthorities !== undefined &&
      (s.registrationAuthority === undefined ||
        !trust.registrationAuthorities.includes(s.registrationAuthority))
    )
      return false;
    if (
      trust.entityCategories !== undefined &&
      !s.entityCategories.some((c) => trust.entityCategories!.includes(c))
    )
      return false;
    return true;
  };

  return {
    name,
    validUntil,
    counts: Object.freeze({ entities: order.length, idps, sps }),
    summary: (entityId) => entries.get(entityId)?.summary,
    entities: () => summaries,
    isTrusted(entityId, trust) {
      const e = entries.get(entityId);
      return e !== undefined && trusted(e, trust);
    },
    async idp(entityId, lookup) {
      const e = entries.get(entityId);
      if (!e?.summary.idp || (lookup.trust !== undefined && !trusted(e, lookup.trust))) {
        throw new SamlError(
          'METADATA_ENTITY_NOT_FOUND',
          'The IdP is not trusted in the aggregate.',
          {
            expected: 'a SAML 2.0 IdP of the aggregate that the trust rules admit',
            found: !e
              ? `no entity ${describeValue(entityId)}`
              : !e.summary.idp
                ? 'an entity that is not an IdP'
                : 'an IdP the trust rules leave out',
            hint: 'check the entity ID, and the registrationAuthorities / entityCategories / allow / deny rules',
          },
        );
      }
      if (e.duplicate) {
        throw invalid(
          'The metadata lists the entity several times.',
          'each entityID once',
          describeValue(entityId),
        );
      }
      const t = lookup.now instanceof Date ? lookup.now.getTime() : lookup.now;
      if (!e.cached) {
        const fragment =
          e.wrapper.map((w) => w.open).join('') +
          text.slice(e.start, e.end) +
          e.wrapper
            .map((w) => w.close)
            .reverse()
            .join('');
        e.cached = {
          ...(await parseIdpMetadata(fragment, { entityId, now: t })),
          signatureVerified: true,
        };
      }
      const md = e.cached;
      if (md.validUntil !== undefined && md.validUntil <= t) {
        throw new SamlError('METADATA_EXPIRED', 'The metadata has expired.', {
          expected: `validUntil after ${new Date(t).toISOString()}`,
          found: `validUntil ${new Date(md.validUntil).toISOString()}`,
          hint: 'load a fresh aggregate (or check this server’s clock)',
        });
      }
      return md;
    },
  };
}

/**
 * An enclosing EntitiesDescriptor as a start tag holding only its namespace declarations and its
 * validity (SAML metadata §2.3.1: validUntil and cacheDuration apply to everything inside), so an
 * entity parsed from its own bytes has the same namespaces in scope and the same validity.
 */
function wrapperTag(el: StreamElement): WrapperTag {
  let open = `<${el.qname}`;
  for (const [p, u] of el.declarations) open += ` ${p ? `xmlns:${p}` : 'xmlns'}="${escapeAttr(u)}"`;
  for (const a of el.attributes) {
    if (a.uri === '' && (a.name === 'validUntil' || a.name === 'cacheDuration')) {
      open += ` ${a.name}="${escapeAttr(a.value)}"`;
    }
  }
  return { open: `${open}>`, close: `</${el.qname}>` };
}

/**
 * XML-DSig §3.2.2: the SignatureValue over the canonical SignedInfo with the pinned keys; the
 * structure as SAML core §5.4 and this loader allow. Returns the digest to compare.
 */
async function checkSignedInfo(
  signature: Element,
  rootId: string,
  options: LoadAggregateOptions,
  crypto: CryptoProvider,
): Promise<{ hash: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512'; value: Uint8Array }> {
  const allowSha1 = options.allowSha1 ?? false;
  const signedInfo = requiredChild(signature, NS.ds, 'SignedInfo');
  const [c14nEl, methodEl, ...refs] = childElements(signedInfo);
  const structure = (what: string) =>
    new SamlError('SIGNATURE_STRUCTURE_INVALID', 'SignedInfo is malformed.', {
      expected: 'CanonicalizationMethod, SignatureMethod, one Reference (XML-DSig §4.4)',
      found: what,
    });
  if (!c14nEl || c14nEl.namespaceURI !== NS.ds || c14nEl.localName !== 'CanonicalizationMethod')
    throw structure('no CanonicalizationMethod first');
  if (!methodEl || methodEl.namespaceURI !== NS.ds || methodEl.localName !== 'SignatureMethod')
    throw structure('no SignatureMethod second');
  const reference = refs[0];
  if (
    refs.length !== 1 ||
    reference!.namespaceURI !== NS.ds ||
    reference!.localName !== 'Reference'
  ) {
    throw new SamlError(
      'SIGNATURE_REFERENCE_INVALID',
      'The signature must have exactly one Reference.',
      {
        expected: 'one ds:Reference to the root (SAML core §5.4.2)',
        found: `${refs.length} elements after SignatureMethod`,
      },
    );
  }
  const sigUri = attr(methodEl, 'Algorithm') ?? '';
  if (/hmac/i.test(sigUri) || childElements(methodEl).length > 0) {
    throw new SamlError('SIGNATURE_ALGORITHM_FORBIDDEN', 'HMAC signatures are never accepted.', {
      expected: 'an RSA or ECDSA signature',
      found: describeValue(sigUri),
    });
  }
  const algorithm = signatureAlgorithmByUri(sigUri);
  assertHashAllowed(algorithm.hash, algorithm.uri, allowSha1);
  const siC14n = attr(c14nEl, 'Algorithm');
  if (
    (siC14n !== C14N.exclusive && siC14n !== C14N.inclusive) ||
    childElements(c14nEl).length > 0
  ) {
    throw new SamlError(
      'SIGNATURE_TRANSFORM_FORBIDDEN',
      'The CanonicalizationMethod is not allowed.',
      {
        expected: `${C14N.exclusive} or ${C14N.inclusive}, without parameters`,
        found: describeValue(siC14n),
      },
    );
  }
  if (attr(reference!, 'URI') !== `#${rootId}`) {
    throw new SamlError(
      'SIGNATURE_REFERENCE_INVALID',
      'The signature does not reference the aggregate.',
      {
        expected: `URI="#${rootId}"`,
        found: describeValue(attr(reference!, 'URI')),
      },
    );
  }
  const transformsEl = childElements(reference!, NS.ds, 'Transforms');
  const transforms = transformsEl.length === 1 ? childElements(transformsEl[0]!) : [];
  if (
    transforms.length !== 2 ||
    transforms.some(
      (t) => t.namespaceURI !== NS.ds || t.localName !== 'Transform' || childElements(t).length > 0,
    ) ||
    attr(transforms[0]!, 'Algorithm') !== ENVELOPED_SIGNATURE ||
    attr(transforms[1]!, 'Algorithm') !== C14N.exclusive
  ) {
    throw new SamlError(
      'SIGNATURE_TRANSFORM_FORBIDDEN',
      'The Reference transforms are not the ones the aggregate loader reads.',
      {
        expected:
          'enveloped-signature, then exclusive c14n without an InclusiveNamespaces PrefixList',
        found: transforms.map((t) => attr(t, 'Algorithm') ?? t.localName).join(', ') || 'none',
        hint: 'load this aggregate with parseIdpMetadata (DOM) instead',
      },
    );
  }
  const digest = digestAlgorithm(
    attr(requiredChild(reference!, NS.ds, 'DigestMethod'), 'Algorithm') ?? '',
  );
  assertHashAllowed(digest.hash, digest.uri, allowSha1);
  const digestValue = fromBase64(
    textOf(requiredChild(reference!, NS.ds, 'DigestValue')),
    'DigestValue',
  );
  const canonical = canonicalize(signedInfo, {
    exclusive: siC14n === C14N.exclusive,
    inclusivePrefixes: [],
  });
  const signatureValue = fromBase64(
    textOf(requiredChild(signature, NS.ds, 'SignatureValue')),
    'SignatureValue',
  );
  await verifyBytes(utf8(canonical), signatureValue, algorithm.uri, {
    keys: options.keys,
    allowSha1,
    crypto,
  });
  return { hash: digest.hash, value: digestValue };
}
