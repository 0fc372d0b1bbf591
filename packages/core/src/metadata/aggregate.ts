import { resolveCrypto } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { equalBytes } from '../lib/bytes.js';
import { sha256InSlices } from '../lib/sha256-slices.js';
import { childElements, NS, parseDateTime, parseXml, resolveXmlLimits } from '../lib/xml.js';
import { scanXmlInSlices } from '../lib/xml-scan-slices.js';
import { type StreamElement, streamExclusiveC14nInSlices } from './aggregate-c14n.js';
import { detachedSummary, forgetLastMatch } from './aggregate-detach.js';
import { createDiscoveryCollector } from './aggregate-discovery.js';
import { createFragmentPlanner } from './aggregate-fragment.js';
import { indexedAggregate, invalid } from './aggregate-lookup.js';
import { checkSignedInfo, signatureFailure } from './aggregate-signature.js';
import type {
  Entry,
  FederationAggregate,
  LoadAggregateOptions,
  MutableSummary,
  WrapperTag,
} from './aggregate-types.js';
import { addDuration, parseDuration } from './duration.js';

export type {
  AggregateEntitySummary,
  AggregateTrust,
  FederationAggregate,
  LoadAggregateOptions,
} from './aggregate-types.js';

const MDRPI = 'urn:oasis:names:tc:SAML:metadata:rpi';
const MDATTR = 'urn:oasis:names:tc:SAML:metadata:attribute';
const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
/** The entity attribute that carries entity categories (REFEDS / macedir). */
const ENTITY_CATEGORY = 'http://macedir.org/entity-category';
/** The entity attribute that carries assurance certifications such as SIRTFI. */
const ASSURANCE_CERTIFICATION = 'urn:oasis:names:tc:SAML:attribute:assurance-certification';
/** The REFEDS hide-from-discovery entity category. */
export const HIDE_FROM_DISCOVERY = 'http://refeds.org/category/hide-from-discovery';

/** Resolves in a later macrotask (after pending I/O and timers), in every runtime. */
const nextMacrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

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
  // XML 1.0 well-formedness and every structural limit, before anything else reads the text; in
  // slices too, like the canonicalization below.
  await scanXmlInSlices(text, limits, bom, nextMacrotask);

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
  const fragment = createFragmentPlanner(text);
  let publisher: string | undefined;

  // In slices with a macrotask between them: a process verifying an eduGAIN-sized aggregate
  // (seconds of work) goes on serving its other requests meanwhile.
  const canonical = await streamExclusiveC14nInSlices(
    text,
    {
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
        if (el.depth === 2 && el.uri === MDRPI && el.local === 'PublicationInfo') {
          // The MDRPI specification §2.2.1: the publisher of the aggregate, on the root's Extensions.
          if (path[1] === `${NS.md} Extensions`)
            publisher = el.attributes.find((a) => a.name === 'publisher' && a.uri === '')?.value;
        }
        if (el.depth === 1 && el.uri === NS.ds && el.local === 'Signature') {
          signatures++;
          inSignature = true;
          signature = { start: el.start, end: -1 };
          return true;
        }
        if (
          el.uri === NS.md &&
          (el.local === 'EntitiesDescriptor' || el.local === 'EntityDescriptor') &&
          el.depth > 0 &&
          path[el.depth - 1] !== `${NS.md} EntitiesDescriptor`
        ) {
          // SAML metadata §2.3.1: entities are children of an EntitiesDescriptor, nowhere else.
          // Above all not inside the aggregate's ds:Signature, which its digest leaves out
          // (enveloped signature, XML-DSig §6.6.4): an entity there is covered by no signature.
          throw invalid(
            'An entity is not a child of an EntitiesDescriptor.',
            'md:EntityDescriptor and md:EntitiesDescriptor only directly inside md:EntitiesDescriptor (SAML metadata §2.3.1)',
            `<${el.qname}> inside ${describeValue(path[el.depth - 1]!.split(' ').pop()!)}${inSignature ? ' (within the signature)' : ''}`,
          );
        }
        if (inSignature) return false;
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
          fragment.start(el, 0);
        } else if (entity !== undefined) {
          const rel = el.depth - entity.depth;
          discovery.start(el, rel);
          fragment.start(el, rel);
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
        fragment.end(rel, end);
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
          const parts = fragment.take();
          const entry: Entry = {
            // Its strings copied: a summary a caller keeps must not keep the text alive.
            summary: detachedSummary(entity.summary),
            start: entity.start,
            end,
            wrapper: entity.wrapper,
            ...(entity.summary.idp && { parts }),
            duplicate: existing !== undefined,
          };
          if (existing) existing.duplicate = true;
          else entries.set(entry.summary.entityId, entry);
          order.push(entry);
          entity = undefined;
        }
      },
    },
    nextMacrotask,
  );

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
  const rootTagEnd = root.tagEnd; // not indexOf('>'): an attribute value may hold a '>' (XML 1.0 §3.1)
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
    // SHA-256 (what federations sign with) is hashed here in slices: WebCrypto would first copy
    // the whole canonical form on this thread, holding it for a quarter of a second at 65 MB.
    const actual =
      digest.hash === 'SHA-256'
        ? await sha256InSlices(canonical, nextMacrotask)
        : new Uint8Array(await provider.subtle.digest(digest.hash, canonical as BufferSource));
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

  // SAML metadata §2.3.1: cacheDuration, the longest a relying party should cache the document.
  const cd = root.attributes.find((a) => a.name === 'cacheDuration' && a.uri === '')?.value;
  const cacheDuration =
    cd === undefined ? undefined : addDuration(now, parseDuration(cd.replace(XML_SPACE, ''))) - now;
  if (cacheDuration !== undefined && cacheDuration < 0)
    throw invalid('cacheDuration is negative.', 'a positive xs:duration', describeValue(cd));
  forgetLastMatch();
  return indexedAggregate(text, entries, order, { name, validUntil, cacheDuration, publisher });
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
