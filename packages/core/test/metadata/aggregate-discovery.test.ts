import { loadPublicKey, signXml } from '@samlkit/core';
import { generateTestKeys, type TestKeys } from '@samlkit/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltAggregate, buildAggregate } from '../../../testkit/src/aggregate.js';
import { loadAggregate } from '../../src/metadata/aggregate.js';
import {
  cleanDiscoveryText,
  DISCOVERY_LIMITS,
  safeLogoUrl,
} from '../../src/metadata/aggregate-discovery.js';
import { discoveryIdpsOf } from '../../src/metadata/discovery-feed.js';

// Discovery data (mdui:UIInfo, mdui:DiscoHints, shibmd:Scope) read in the aggregate loader's
// streaming pass: unescaped, bounded, logos restricted to https: and raster data: URIs.

const NOW = Date.UTC(2031, 4, 6, 12, 0, 0);
// What XML 1.0 §2.2 does not allow in a document.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to remove
const NOT_XML_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: what the cleaning removes
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const BAD_SPACE = /[ \t\n\r]{2}|^[ \t\n\r]|[ \t\n\r]$/;
const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const MDUI = 'urn:oasis:names:tc:SAML:metadata:ui';
const SHIBMD = 'urn:mace:shibboleth:metadata:1.0';
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
let fed: TestKeys;
let built: BuiltAggregate;

beforeAll(async () => {
  fed = await generateTestKeys({ subject: 'test federation' });
  built = await buildAggregate({
    entities: 12,
    hiddenEvery: 2,
    signingKey: fed,
    certificates: [fed.certificatePem],
    now: NOW,
    idps: [
      {
        entityId: 'https://idp.test.example/idp',
        displayName: 'Test & Trial University',
        keywords: 'trial sandbox',
        scope: 'trial.example.edu',
        signingCertificatePem: fed.certificatePem,
        ssoRedirect: 'https://idp.test.example/sso',
      },
    ],
  });
});

const keys = () => [loadPublicKey(fed.certificatePem)];

/** An aggregate of these IdPs' IDPSSODescriptor Extensions, signed by the DOM signer. */
async function aggregateOf(extensions: readonly string[]): Promise<string> {
  const entities = extensions
    .map(
      (ext, i) =>
        `<md:EntityDescriptor entityID="https://idp${i}.example.org/idp"><md:IDPSSODescriptor protocolSupportEnumeration="${PROTOCOL}"><md:Extensions>${ext}</md:Extensions><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp${i}.example.org/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`,
    )
    .join('');
  const xml = `<md:EntitiesDescriptor xmlns:md="${MD}" xmlns:mdui="${MDUI}" xmlns:shibmd="${SHIBMD}" ID="_agg" validUntil="2031-06-01T00:00:00Z">${entities}</md:EntitiesDescriptor>`;
  return signXml(xml, { key: fed.privateKey });
}

describe('aggregate discovery data', () => {
  it('reads UIInfo, DiscoHints and Scope of every IdP, unescaped; none for SPs', async () => {
    const agg = await loadAggregate(built.xml, { keys: keys(), now: NOW });
    for (const g of built.entities) {
      const d = agg.summary(g.entityId)!.discovery;
      if (g.role === 'sp') {
        expect(d).toBeUndefined();
        continue;
      }
      expect(d!.displayNames[0]).toEqual({ value: g.displayName, lang: 'en' });
      expect(d!.scopes).toEqual([{ value: g.scope, regexp: false }]);
      expect(d!.domainHints).toEqual([g.scope]);
    }
    const first = built.entities[0]!;
    const d = agg.summary(first.entityId)!.discovery!;
    expect(d.displayNames).toHaveLength(2);
    // `&amp;` in the text comes back as `&` (XML 1.0 §4.6).
    expect(d.descriptions[0]!.value).toContain('staff & students');
    expect(d.keywords[0]).toEqual({
      value: 'university research education library campus-0',
      lang: 'en',
    });
    expect(d.logos).toEqual([
      { value: 'https://idp.inst0.example.org/logo-80.png', width: 80, height: 80 },
    ]);
    expect(d.privacyStatementUrls[0]!.value).toBe(
      'https://idp.inst0.example.org/privacy?lang=en&v=2',
    );
    const test = agg.summary('https://idp.test.example/idp')!.discovery!;
    expect(test.displayNames).toEqual([{ value: 'Test & Trial University', lang: 'en' }]);
    expect(test.keywords).toEqual([{ value: 'trial sandbox', lang: 'en' }]);
  });

  it('lists the trusted IdPs for discovery, without hidden ones and SPs, made once per aggregate', async () => {
    const agg = await loadAggregate(built.xml, { keys: keys(), now: NOW });
    const listed = discoveryIdpsOf(agg);
    const expected = built.entities.filter((e) => e.role === 'idp' && !e.hidden);
    expect(built.entities.some((e) => e.hidden)).toBe(true);
    expect(listed.map((i) => i.entityId)).toEqual(expected.map((e) => e.entityId));
    expect(listed.find((i) => i.entityId === 'https://idp.test.example/idp')?.scopes).toEqual([
      { value: 'trial.example.edu', regexp: false },
    ]);
    expect(discoveryIdpsOf(agg)).toBe(listed);
    const trust = { deny: ['https://idp.test.example/idp'] };
    const denied = discoveryIdpsOf(agg, trust);
    expect(denied.map((i) => i.entityId)).not.toContain('https://idp.test.example/idp');
    expect(denied).toHaveLength(listed.length - 1);
    // From summaries already filtered by trust (an aggregate source's entities()).
    expect(discoveryIdpsOf(agg.entities())).toEqual(listed);
  });

  it('keeps logos to https: and raster data: URIs, and bounds texts and lists', async () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    const long = 'x'.repeat(DISCOVERY_LIMITS.name + 50);
    const xml = await aggregateOf([
      '<mdui:UIInfo>' +
        `<mdui:DisplayName xml:lang="en">  A &lt;b&gt;  &#x55;ni <![CDATA[<i>]]>\n name </mdui:DisplayName>` +
        `<mdui:DisplayName xml:lang="de">${long}</mdui:DisplayName>` +
        '<mdui:Logo height="16" width="16">javascript:alert(1)</mdui:Logo>' +
        '<mdui:Logo height="16" width="16">data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=</mdui:Logo>' +
        '<mdui:Logo height="16" width="16">http://insecure.example/logo.png</mdui:Logo>' +
        `<mdui:Logo height="32" width="x">${png}</mdui:Logo>` +
        '<mdui:Logo height="64" width="64"> https://ok.example/l.png </mdui:Logo>' +
        '<mdui:InformationURL xml:lang="en">javascript:alert(1)</mdui:InformationURL>' +
        '</mdui:UIInfo>' +
        '<mdui:DiscoHints><mdui:DomainHint>Example.EDU</mdui:DomainHint><mdui:IPHint>192.0.2.0/24</mdui:IPHint></mdui:DiscoHints>' +
        '<shibmd:Scope regexp="true">^.+\\.example\\.edu$</shibmd:Scope>',
      `<mdui:UIInfo>${Array.from({ length: 40 }, (_, i) => `<mdui:DisplayName xml:lang="l${i}">n${i}</mdui:DisplayName>`).join('')}</mdui:UIInfo>`,
      // A DisplayName with a child element: only its own text is read.
      '<mdui:UIInfo><mdui:DisplayName xml:lang="en">Own<mdui:X>child</mdui:X> text</mdui:DisplayName></mdui:UIInfo>',
    ]);
    const agg = await loadAggregate(xml, { keys: keys(), now: NOW });
    const d = agg.summary('https://idp0.example.org/idp')!.discovery!;
    expect(d.displayNames[0]).toEqual({ value: 'A <b> Uni <i> name', lang: 'en' });
    expect(d.displayNames[1]!.value).toHaveLength(DISCOVERY_LIMITS.name);
    expect(d.logos).toEqual([
      { value: png, height: 32 },
      { value: 'https://ok.example/l.png', width: 64, height: 64 },
    ]);
    expect(d.informationUrls).toEqual([]);
    expect(d.domainHints).toEqual(['example.edu']);
    expect(d.ipHints).toEqual(['192.0.2.0/24']);
    expect(d.scopes).toEqual([{ value: '^.+\\.example\\.edu$', regexp: true }]);
    const many = agg.summary('https://idp1.example.org/idp')!.discovery!;
    expect(many.displayNames).toHaveLength(DISCOVERY_LIMITS.perList);
    const nested = agg.summary('https://idp2.example.org/idp')!.discovery!;
    expect(nested.displayNames[0]!.value).toBe('Own text');
  });

  it('property: any DisplayName comes back as its cleaned text through the streaming pass', async () => {
    const chars = fc.oneof(
      fc.constantFrom('&', '<', '>', '"', "'", ' ', '\t', '\n', 'é', '𝄞', ']]>', '\u0085'),
      fc.string({ minLength: 0, maxLength: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(chars, { maxLength: 80 }), async (parts) => {
        const raw = parts.join('').replace(NOT_XML_CONTROL, '').replace(LONE_SURROGATE, '');
        const escaped = raw
          .replace(/&/g, '&amp;')
          .replace(/</g, '&lt;')
          .replace(/>/g, '&gt;')
          .replace(/\r/g, '&#13;');
        const xml = await aggregateOf([
          `<mdui:UIInfo><mdui:DisplayName xml:lang="en">${escaped}</mdui:DisplayName></mdui:UIInfo>`,
        ]);
        const agg = await loadAggregate(xml, { keys: keys(), now: NOW });
        const names = agg.summary('https://idp0.example.org/idp')!.discovery?.displayNames ?? [];
        const expected = cleanDiscoveryText(raw, DISCOVERY_LIMITS.name);
        expect(names.map((n) => n.value)).toEqual(expected === '' ? [] : [expected]);
      }),
      { numRuns: 25 },
    );
  });

  it('property: cleaned text is bounded, control-free and stable; logos only https or raster data', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 1, max: 300 }), (s, max) => {
        const v = cleanDiscoveryText(s, max);
        expect(v.length).toBeLessThanOrEqual(max);
        expect(v).not.toMatch(CONTROL);
        expect(v).not.toMatch(BAD_SPACE);
        expect(cleanDiscoveryText(v, max)).toBe(v);
      }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.webUrl(),
          fc.string(),
          fc.constantFrom(
            'javascript:alert(1)',
            'JaVaScRiPt:alert(1)',
            'data:text/html;base64,PHNjcmlwdD4=',
            'data:image/svg+xml;base64,PHN2Zz4=',
            'data:image/png,<svg>',
            'vbscript:x',
          ),
          fc.string().map((s) => `data:image/png;base64,${s}`),
        ),
        (s) => {
          const v = safeLogoUrl(s);
          if (v !== undefined) {
            expect(
              v.startsWith('https://') ||
                /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+=*$/.test(v),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 50 },
    );
    expect(safeLogoUrl('https://a.example/x.png')).toBe('https://a.example/x.png');
    expect(safeLogoUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeLogoUrl('data:image/svg+xml;base64,PHN2Zz4=')).toBeUndefined();
  });
});
