import { isSamlError, loadPublicKey, parseIdpMetadata, signXml } from '@samlkit/core';
import type { TestKeys } from '@samlkit/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAggregate } from '../../../testkit/src/aggregate.js';
import { loadAggregate } from '../../src/metadata/aggregate.js';
import { streamExclusiveC14n } from '../../src/metadata/aggregate-c14n.js';
import { createFragmentPlanner, fragmentText } from '../../src/metadata/aggregate-fragment.js';
import { AGGREGATE_NOW, buildTestAggregate } from '../support/aggregate-setup.js';

// An IdP looked up in an aggregate is parsed from only the parts of its EntityDescriptor that
// parseIdpMetadata reads. The result must be exactly what parseIdpMetadata makes of the whole
// entity: the same metadata, or the same error.

const NOW = AGGREGATE_NOW;
const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const SHIBMD = 'urn:mace:shibboleth:metadata:1.0';
const MDUI = 'urn:oasis:names:tc:SAML:metadata:ui';
const MDRPI = 'urn:oasis:names:tc:SAML:metadata:rpi';
const SAML2 = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML1 = 'urn:oasis:names:tc:SAML:1.1:protocol';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const SOAP = 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP';

let fed: TestKeys;
let cert: string;
let cert2: string;

beforeAll(async () => {
  const built = await buildTestAggregate(3);
  fed = built.fed;
  cert = body(fed.certificatePem);
  cert2 = body(built.other.certificatePem);
});

function body(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

type Outcome =
  | { readonly ok: unknown }
  | {
      readonly code: string;
      readonly message: string;
      readonly expected: unknown;
      readonly found: unknown;
    };

async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await run() };
  } catch (e) {
    if (!isSamlError(e)) throw e;
    return {
      code: e.code,
      message: e.message,
      expected: e.details.expected,
      found: e.details.found,
    };
  }
}

/** The ranges the planner records for the root EntityDescriptor of `xml`. */
function plan(xml: string): number[] {
  const planner = createFragmentPlanner(xml);
  streamExclusiveC14n(xml, {
    start: (el) => {
      planner.start(el, el.depth);
      return false;
    },
    end: (depth, end) => planner.end(depth, end),
  });
  return planner.take();
}

// ---- A random IdP entity, written in varied ways -------------------------------------------

/** Where a namespace is declared: on the element that uses it or on an ancestor. */
type Place = 'entity' | 'descriptor' | 'here';

const place = fc.constantFrom<Place>('entity', 'descriptor', 'here');
const ws = fc.constantFrom('', ' ', '\n  ', '<!-- c -->', '<?pi x?>');
const emptyForm = fc.boolean();

interface Ctx {
  readonly ds: Place;
  readonly shib: Place;
  /** md as the default namespace (unprefixed) instead of md:. */
  readonly defaultMd: boolean;
}

const md = (c: Ctx, local: string) => (c.defaultMd ? local : `md:${local}`);
const decl = (where: Place, prefix: string, uri: string, current: Place) =>
  where === current ? ` xmlns:${prefix}="${uri}"` : '';
const leaf = (name: string, attrs: string, empty: boolean) =>
  empty ? `<${name}${attrs}/>` : `<${name}${attrs}></${name}>`;

const scope = (c: Ctx, inDescriptor: boolean) =>
  fc
    .tuple(
      fc.constantFrom('inst.example.org', ' spaced.example ', '', '^.*\\.example$'),
      fc.constantFrom('', ' regexp="true"', ' regexp="false"'),
      fc.boolean(),
    )
    .map(([v, rx, cdata]) => {
      // Declared on the Scope itself, or inherited from the descriptor or the entity.
      const here = !inDescriptor && c.shib === 'descriptor' ? 'here' : c.shib;
      return `<shibmd:Scope${decl(here, 'shibmd', SHIBMD, 'here')}${rx}>${cdata ? `<![CDATA[${v}]]>` : v}</shibmd:Scope>`;
    });

const junk = fc.constantFrom(
  `<mdui:UIInfo xmlns:mdui="${MDUI}"><mdui:DisplayName xml:lang="en">A &amp; B</mdui:DisplayName><mdui:Logo height="16" width="16">data:image/png;base64,${'QUJD'.repeat(200)}</mdui:Logo></mdui:UIInfo>`,
  `<mdrpi:RegistrationInfo xmlns:mdrpi="${MDRPI}" registrationAuthority="https://ra.example/"/>`,
  '<x:Other xmlns:x="urn:x"><x:Scope>not a scope</x:Scope></x:Other>',
);

const extensions = (c: Ctx, inDescriptor: boolean) =>
  fc
    .tuple(fc.array(fc.oneof(scope(c, inDescriptor), junk), { maxLength: 3 }), ws, emptyForm)
    .map(([items, w, empty]) =>
      items.length === 0 && empty
        ? `<${md(c, 'Extensions')}/>`
        : `<${md(c, 'Extensions')}>${w}${items.join(w)}</${md(c, 'Extensions')}>`,
    );

const keyDescriptor = (c: Ctx) =>
  fc
    .tuple(
      fc.constantFrom('', ' use="signing"', ' use="encryption"', ' use="both"'),
      fc.constantFrom('good', 'other', 'garbage', 'none'),
    )
    .map(([use, which]) => {
      const dsHere = decl(c.ds, 'ds', DS, 'here');
      const x509 =
        which === 'none'
          ? ''
          : `<ds:X509Data><ds:X509Certificate>${
              which === 'good' ? cert : which === 'other' ? cert2 : 'bm90IGEgY2VydA=='
            }</ds:X509Certificate></ds:X509Data>`;
      return `<${md(c, 'KeyDescriptor')}${use}><ds:KeyInfo${dsHere}>${x509}</ds:KeyInfo></${md(c, 'KeyDescriptor')}>`;
    });

const endpoint = (c: Ctx) =>
  fc
    .tuple(
      fc.constantFrom('SingleSignOnService', 'SingleLogoutService', 'ArtifactResolutionService'),
      fc.constantFrom(REDIRECT, POST, SOAP),
      fc.constantFrom('https://idp.example/sso', 'https://idp.example/q?a=1>2&amp;b', '/relative'),
      fc.constantFrom('', ' index="1"', ' index="x"', ' isDefault="true"', ' isDefault="maybe"'),
      emptyForm,
    )
    .map(([kind, binding, location, extra, empty]) =>
      leaf(md(c, kind), ` Binding="${binding}" Location="${location}"${extra}`, empty),
    );

const nameIdFormat = (c: Ctx) =>
  fc
    .constantFrom(
      'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
      ' urn:oasis:names:tc:SAML:2.0:nameid-format:persistent<!-- x -->',
    )
    .map((v) => `<${md(c, 'NameIDFormat')}>${v}</${md(c, 'NameIDFormat')}>`);

/** A KeyDescriptor and a SingleSignOnService that make a working IdP. */
const sound = (c: Ctx) =>
  `<${md(c, 'KeyDescriptor')}><ds:KeyInfo${decl(c.ds, 'ds', DS, 'here')}><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></${md(c, 'KeyDescriptor')}>` +
  leaf(
    md(c, 'SingleSignOnService'),
    ` Binding="${REDIRECT}" Location="https://idp.example/s"`,
    true,
  );

const descriptor = (c: Ctx) =>
  fc
    .tuple(
      fc.oneof(
        { weight: 4, arbitrary: fc.constant(SAML2) },
        { weight: 1, arbitrary: fc.constantFrom(SAML1, `${SAML1} ${SAML2}`) },
      ),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant('') },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            ' WantAuthnRequestsSigned="true"',
            ' WantAuthnRequestsSigned="maybe"',
            ' validUntil="2031-05-06T11:00:00Z"',
            ' validUntil="2031-06-01T00:00:00Z" cacheDuration="PT1H"',
          ),
        },
      ),
      fc.array(fc.oneof(extensions(c, true), keyDescriptor(c), endpoint(c), nameIdFormat(c)), {
        maxLength: 6,
      }),
      fc.nat(6),
      fc.boolean(),
      ws,
    )
    .map(([protocols, attrs, rest, at, works, w]) => {
      const children = [...rest];
      if (works) children.splice(at, 0, sound(c));
      const name = md(c, 'IDPSSODescriptor');
      const decls =
        decl(c.ds, 'ds', DS, 'descriptor') + decl(c.shib, 'shibmd', SHIBMD, 'descriptor');
      return `<${name} protocolSupportEnumeration="${protocols}"${attrs}${decls}>${w}${children.join(w)}</${name}>`;
    });

const other = (c: Ctx) =>
  fc.constantFrom(
    `<${md(c, 'SPSSODescriptor')} xmlns:sp="urn:sp" protocolSupportEnumeration="${SAML2}"><sp:X/></${md(c, 'SPSSODescriptor')}>`,
    `<${md(c, 'Organization')}><${md(c, 'OrganizationName')} xml:lang="en">Org</${md(c, 'OrganizationName')}></${md(c, 'Organization')}>`,
    `<${md(c, 'ContactPerson')} contactType="technical"/>`,
    `<${md(c, 'AttributeAuthorityDescriptor')} protocolSupportEnumeration="${SAML2}"></${md(c, 'AttributeAuthorityDescriptor')}>`,
  );

const entity = fc.record({ ds: place, shib: place, defaultMd: fc.boolean() }).chain((c) =>
  fc
    .tuple(
      fc.array(fc.oneof(extensions(c, false), descriptor(c), other(c)), { maxLength: 4 }),
      fc.option(descriptor(c), { freq: 5 }),
      fc.nat(4),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant('') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(' validUntil="2031-05-06T11:00:00Z"', ' cacheDuration="P1D"'),
        },
      ),
      ws,
    )
    .map(([rest, idpRole, at, attrs, w]) => {
      const children = [...rest];
      if (idpRole !== null) children.splice(at, 0, idpRole);
      const name = md(c, 'EntityDescriptor');
      const mdDecl = c.defaultMd ? ` xmlns="${MD}"` : ` xmlns:md="${MD}"`;
      const decls = decl(c.ds, 'ds', DS, 'entity') + decl(c.shib, 'shibmd', SHIBMD, 'entity');
      return `<${name}${mdDecl} entityID="https://idp.example/e>1"${attrs}${decls}>${w}${children.join(w)}</${name}>`;
    }),
);

describe('the fragment an aggregate IdP is parsed from', () => {
  it('property: the parts kept parse to exactly what the whole entity parses to', async () => {
    const options = { entityId: 'https://idp.example/e>1', now: NOW };
    let succeeded = 0;
    await fc.assert(
      fc.asyncProperty(entity, async (xml) => {
        const slim = fragmentText(xml, plan(xml), []);
        expect(slim.length).toBeLessThanOrEqual(xml.length);
        const whole = await outcome(() => parseIdpMetadata(xml, options));
        if ('ok' in whole) succeeded++;
        expect(await outcome(() => parseIdpMetadata(slim, options))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
    // The generator reaches working IdPs, not only errors.
    expect(succeeded).toBeGreaterThan(5);
  });

  it('leaves out what is not read: other roles, organisation, mdui and registration data', () => {
    const xml =
      `<md:EntityDescriptor xmlns:md="${MD}" entityID="https://idp.example/">` +
      `<md:Extensions><mdrpi:RegistrationInfo xmlns:mdrpi="${MDRPI}" registrationAuthority="https://ra/"/><shibmd:Scope xmlns:shibmd="${SHIBMD}">a.example</shibmd:Scope></md:Extensions>` +
      `<md:IDPSSODescriptor protocolSupportEnumeration="${SAML2}"><md:Extensions><mdui:UIInfo xmlns:mdui="${MDUI}"><mdui:Logo>data:${'A'.repeat(5000)}</mdui:Logo></mdui:UIInfo></md:Extensions>` +
      `<md:SingleSignOnService Binding="${REDIRECT}" Location="https://idp.example/sso"/></md:IDPSSODescriptor>` +
      `<md:SPSSODescriptor protocolSupportEnumeration="${SAML2}"><md:AssertionConsumerService Binding="${POST}" Location="https://sp/" index="0"/></md:SPSSODescriptor>` +
      '<md:Organization><md:OrganizationName xml:lang="en">O</md:OrganizationName></md:Organization></md:EntityDescriptor>';
    expect(fragmentText(xml, plan(xml), [])).toBe(
      `<md:EntityDescriptor xmlns:md="${MD}" entityID="https://idp.example/">` +
        `<md:Extensions><shibmd:Scope xmlns:shibmd="${SHIBMD}">a.example</shibmd:Scope></md:Extensions>` +
        `<md:IDPSSODescriptor protocolSupportEnumeration="${SAML2}"><md:Extensions></md:Extensions>` +
        `<md:SingleSignOnService Binding="${REDIRECT}" Location="https://idp.example/sso"/></md:IDPSSODescriptor>` +
        `<md:SPSSODescriptor protocolSupportEnumeration="${SAML2}"></md:SPSSODescriptor>` +
        '<md:Organization></md:Organization></md:EntityDescriptor>',
    );
  });

  it('parses an IdP whose mdui data alone passes the default 1 MiB limit', async () => {
    // Six logos of 200,000 characters (each text under maxTextLength, together over maxSize).
    const logo = `<mdui:Logo height="1" width="1">data:image/png;base64,${'QUJD'.repeat(50_000)}</mdui:Logo>`;
    const xml =
      `<md:EntityDescriptor xmlns:md="${MD}" entityID="https://idp.example/">` +
      `<md:IDPSSODescriptor protocolSupportEnumeration="${SAML2}"><md:Extensions><mdui:UIInfo xmlns:mdui="${MDUI}">${logo.repeat(6)}</mdui:UIInfo></md:Extensions>` +
      `<md:KeyDescriptor><ds:KeyInfo xmlns:ds="${DS}"><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
      `<md:SingleSignOnService Binding="${REDIRECT}" Location="https://idp.example/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
    const options = { entityId: 'https://idp.example/', now: NOW };
    await expect(parseIdpMetadata(xml, options)).rejects.toMatchObject({ code: 'XML_TOO_LARGE' });
    const slim = fragmentText(xml, plan(xml), []);
    expect(await parseIdpMetadata(slim, options)).toEqual(
      await parseIdpMetadata(xml, { ...options, limits: { maxSize: 2 * 1024 * 1024 } }),
    );
  });
});

// ---- Through the loader: every entity of a signed aggregate ---------------------------------

/** Entities written by hand: namespaces in odd places, several roles, broken values. */
function craftedEntities(): string {
  const kd = (use: string, c = cert) =>
    `<md:KeyDescriptor${use}><ds:KeyInfo xmlns:ds="${DS}"><ds:X509Data><ds:X509Certificate>${c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  const sso = (loc = 'https://idp.example/sso') =>
    `<md:SingleSignOnService Binding="${REDIRECT}" Location="${loc}"></md:SingleSignOnService>`;
  const idp = (n: string, entityAttrs: string, inner: string, before = '', after = '') =>
    `<md:EntityDescriptor entityID="https://crafted.example/${n}"${entityAttrs}>${before}${inner}${after}</md:EntityDescriptor>`;
  const d = (attrs: string, inner: string) =>
    `<md:IDPSSODescriptor protocolSupportEnumeration="${SAML2}"${attrs}>${inner}</md:IDPSSODescriptor>`;
  return [
    // Scopes on the entity and the descriptor, beside mdui with an inline logo.
    idp(
      'scopes',
      ` xmlns:shibmd="${SHIBMD}"`,
      d(
        '',
        `<md:Extensions><mdui:UIInfo xmlns:mdui="${MDUI}"><mdui:Logo height="1" width="1">data:image/png;base64,${'QUJD'.repeat(3000)}</mdui:Logo></mdui:UIInfo><shibmd:Scope regexp="true">^.+\\.ex$</shibmd:Scope></md:Extensions>${kd(' use="signing"')}${sso()}`,
      ),
      `<md:Extensions><mdrpi:RegistrationInfo xmlns:mdrpi="${MDRPI}" registrationAuthority="https://ra.example/"></mdrpi:RegistrationInfo><shibmd:Scope>entity.example</shibmd:Scope></md:Extensions>`,
      `<md:SPSSODescriptor protocolSupportEnumeration="${SAML2}"></md:SPSSODescriptor><md:Organization></md:Organization>`,
    ),
    // ds declared on the entity, md as the default namespace inside the descriptor.
    `<md:EntityDescriptor xmlns:ds="${DS}" entityID="https://crafted.example/default-ns"><IDPSSODescriptor xmlns="${MD}" protocolSupportEnumeration="${SAML2}" WantAuthnRequestsSigned="1"><KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert2}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor><NameIDFormat>urn:x<!-- y -->z</NameIDFormat>${sso().replace(/md:/g, '')}</IDPSSODescriptor></md:EntityDescriptor>`,
    // A SAML 1.1 descriptor first, then the SAML 2.0 one.
    idp(
      'two-roles',
      '',
      `<md:IDPSSODescriptor protocolSupportEnumeration="${SAML1}">${kd('', cert2)}${sso('https://idp.example/saml1')}</md:IDPSSODescriptor>${d('', kd('') + sso())}`,
    ),
    // Broken: not a boolean; no signing key; a relative location; expired on the descriptor;
    // a certificate that is not one; a negative cacheDuration.
    idp('bad-boolean', '', d(' WantAuthnRequestsSigned="maybe"', kd('') + sso())),
    idp('no-signing-key', '', d('', kd(' use="encryption"') + sso())),
    idp('relative', '', d('', kd('') + sso('/sso'))),
    idp('expired', '', d(' validUntil="2031-05-06T11:59:59Z"', kd('') + sso())),
    idp('bad-cert', '', d('', kd('', 'bm90IGEgY2VydA==') + sso())),
    idp('bad-cache', ' cacheDuration="-PT1H"', d('', kd('') + sso())),
    // Inside a nested EntitiesDescriptor that declares a prefix and bounds the validity.
    `<md:EntitiesDescriptor xmlns:k="${DS}" validUntil="2031-06-01T00:00:00Z"><md:EntityDescriptor entityID="https://crafted.example/nested"><md:IDPSSODescriptor protocolSupportEnumeration="${SAML2}"><md:KeyDescriptor><k:KeyInfo><k:X509Data><k:X509Certificate>${cert}</k:X509Certificate></k:X509Data></k:KeyInfo></md:KeyDescriptor>${sso()}</md:IDPSSODescriptor></md:EntityDescriptor></md:EntitiesDescriptor>`,
  ].join('\n');
}

describe('aggregate IdP lookup', () => {
  it('every entity: the lookup equals parseIdpMetadata of the whole document, errors included', async () => {
    const generated = await buildAggregate({
      entities: 30,
      signingKey: fed,
      certificates: [fed.certificatePem],
      now: NOW,
    });
    const unsigned = generated.xml
      .replace(/<ds:Signature [\s\S]*?<\/ds:Signature>/, '')
      .replace(/<\/md:EntitiesDescriptor>\s*$/, `${craftedEntities()}</md:EntitiesDescriptor>`);
    const signed = await signXml(unsigned, { key: fed.privateKey });
    const keys = [loadPublicKey(fed.certificatePem)];
    const agg = await loadAggregate(signed, { keys, now: NOW });
    expect(agg.counts.entities).toBe(30 + 10);
    const codes = new Set<string>();
    for (const s of agg.entities()) {
      const lookup = await outcome(() => agg.idp(s.entityId, { now: NOW }));
      if (!s.idp) {
        expect(lookup).toMatchObject({ code: 'METADATA_ENTITY_NOT_FOUND' });
        continue;
      }
      const whole = await outcome(async () => ({
        ...(await parseIdpMetadata(signed, { entityId: s.entityId, now: NOW })),
        signatureVerified: true,
      }));
      expect(lookup, s.entityId).toEqual(whole);
      // The summary: the message up to its details ("[CODE] Summary. Expected: …").
      codes.add('code' in whole ? whole.message.replace(/ Expected: [\s\S]*$/, '') : 'ok');
    }
    // The crafted entities reach each kind of outcome.
    expect([...codes].sort()).toEqual([
      '[METADATA_EXPIRED] The metadata has expired.',
      '[METADATA_INVALID] A key in the metadata could not be read.',
      '[METADATA_INVALID] The IdP metadata has no signing certificate.',
      '[METADATA_INVALID] The IdP metadata holds an unusable value.',
      '[METADATA_INVALID] WantAuthnRequestsSigned on <IDPSSODescriptor> is not a boolean.',
      '[METADATA_INVALID] cacheDuration is negative.',
      'ok',
    ]);
  });
});
