import {
  type AuthnRequestOptions,
  createAuthnRequest,
  parseAuthnRequest,
  SamlError,
} from '@samlkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authnRequestOptions, expectedRequest, NOW } from '../support/authn-arbitraries.js';

const base = {
  issuer: 'https://sp.example.com/saml/metadata',
  destination: 'https://idp.example.org/sso',
  now: NOW,
} as const;

describe('createAuthnRequest / parseAuthnRequest', () => {
  it('round-trips arbitrary valid requests (property)', () => {
    fc.assert(
      fc.property(authnRequestOptions, (o) => {
        const created = createAuthnRequest(o);
        const parsed = parseAuthnRequest(created.xml);
        // toEqual: fast-check builds optional-key records without a prototype. A value that
        // leaked into another option would still differ (only undefined properties are ignored).
        expect(parsed).toEqual(expectedRequest(o, created.id));
        expect(created.request).toEqual(parsed);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps each option in its own place when values carry markup (property)', () => {
    // Values built to break out of an attribute or element: if escaping failed in any one
    // field, the parsed request would gain or lose an option, or fail to parse.
    const hostile = fc
      .tuple(
        fc.constantFrom(
          '" ProxyCount="7',
          "' AllowCreate='true",
          '</samlp:IDPList><samlp:RequesterID>urn:evil</samlp:RequesterID>',
          '<samlp:Scoping ProxyCount="0"/>',
          ']]><!--',
          '&amp;&lt;&#x41;',
          '\t\r\n',
        ),
        fc.string({ maxLength: 5 }).map((s) => s.replace(/[^a-z]/g, '')),
      )
      .map(([payload, tail]) => `urn:x${payload}${tail}`);
    const field = fc.constantFrom(
      'providerName',
      'entryName',
      'providerId',
      'loc',
      'getComplete',
      'requesterId',
      'format',
      'classRef',
    );
    fc.assert(
      fc.property(field, hostile, (where, v) => {
        const value = v.trim();
        const o: AuthnRequestOptions = {
          ...base,
          providerName: where === 'providerName' ? value : 'Plain',
          nameIdPolicy: { format: where === 'format' ? value : 'urn:f' },
          requestedAuthnContext: { classRefs: [where === 'classRef' ? value : 'urn:c'] },
          scoping: {
            idpList: {
              entries: [
                {
                  providerId: where === 'providerId' ? value : 'https://idp.example.org',
                  name: where === 'entryName' ? value : 'IdP',
                  loc: where === 'loc' ? value : 'https://idp.example.org/sso',
                },
              ],
              getComplete: where === 'getComplete' ? value : 'https://disco.example.org/list',
            },
            requesterIds: [where === 'requesterId' ? value : 'https://app.example.com'],
          },
        };
        const created = createAuthnRequest(o);
        expect(parseAuthnRequest(created.xml)).toStrictEqual(expectedRequest(o, created.id));
      }),
      { numRuns: 200 },
    );
  });

  it('writes AttributeConsumingServiceIndex and Scoping as SAML core §3.4.1 and §3.4.1.2 define', () => {
    const { xml } = createAuthnRequest({
      ...base,
      assertionConsumerServiceIndex: 2,
      attributeConsumingServiceIndex: 5,
      providerName: 'Example App',
      extensions: '<ext:Hint xmlns:ext="urn:example:ext">x</ext:Hint>',
      requestedAuthnContext: { classRefs: ['urn:c'] },
      scoping: {
        proxyCount: 0,
        idpList: {
          entries: [
            {
              providerId: 'https://idp1.example.org',
              name: 'One',
              loc: 'https://idp1.example.org/sso',
            },
            { providerId: 'https://idp2.example.org' },
          ],
          getComplete: 'https://disco.example.org/list',
        },
        requesterIds: ['https://app.example.com', 'https://portal.example.com'],
      },
    });
    expect(xml).toContain(
      'AssertionConsumerServiceIndex="2" AttributeConsumingServiceIndex="5" ProviderName="Example App"',
    );
    expect(xml).not.toContain('AssertionConsumerServiceURL');
    expect(xml).not.toContain('ProtocolBinding');
    expect(xml).toContain(
      '<samlp:Scoping ProxyCount="0"><samlp:IDPList>' +
        '<samlp:IDPEntry ProviderID="https://idp1.example.org" Name="One" Loc="https://idp1.example.org/sso"/>' +
        '<samlp:IDPEntry ProviderID="https://idp2.example.org"/>' +
        '<samlp:GetComplete>https://disco.example.org/list</samlp:GetComplete></samlp:IDPList>' +
        '<samlp:RequesterID>https://app.example.com</samlp:RequesterID>' +
        '<samlp:RequesterID>https://portal.example.com</samlp:RequesterID></samlp:Scoping>',
    );
    // Child order of SAML core §3.4.1: Extensions … RequestedAuthnContext, Scoping last.
    expect(xml.indexOf('<samlp:Extensions>')).toBeLessThan(
      xml.indexOf('<samlp:RequestedAuthnContext'),
    );
    expect(xml.indexOf('</samlp:RequestedAuthnContext>')).toBeLessThan(
      xml.indexOf('<samlp:Scoping'),
    );
    expect(xml.endsWith('</samlp:Scoping></samlp:AuthnRequest>')).toBe(true);
  });

  it('writes the attributes and children SAML core §3.4.1 defines, in schema order', () => {
    const { xml, id, issueInstant } = createAuthnRequest({
      ...base,
      assertionConsumerServiceUrl: 'https://sp.example.com/saml/acs',
      protocolBinding: 'post',
      forceAuthn: true,
      nameIdPolicy: {
        format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        allowCreate: true,
      },
      requestedAuthnContext: {
        comparison: 'minimum',
        classRefs: ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'],
      },
    });
    expect(id).toMatch(/^_[0-9a-f]{40}$/);
    expect(issueInstant).toBe(NOW);
    expect(xml).toContain(`ID="${id}" Version="2.0" IssueInstant="2026-11-23T18:00:00.123Z"`);
    expect(xml).toContain('Destination="https://idp.example.org/sso" ForceAuthn="true"');
    expect(xml).toContain('ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"');
    expect(xml.indexOf('<saml:Issuer>')).toBeLessThan(xml.indexOf('<samlp:NameIDPolicy'));
    expect(xml.indexOf('<samlp:NameIDPolicy')).toBeLessThan(
      xml.indexOf('<samlp:RequestedAuthnContext'),
    );
    expect(xml).toContain('<samlp:RequestedAuthnContext Comparison="minimum">');
  });

  it('is pure given now and the random source', () => {
    const fixed = {
      subtle: crypto.subtle,
      getRandomValues<T extends ArrayBufferView | null>(a: T): T {
        if (a) new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(7);
        return a;
      },
    };
    const a = createAuthnRequest({ ...base, crypto: fixed });
    const b = createAuthnRequest({ ...base, now: new Date(NOW), crypto: fixed });
    expect(a).toEqual(b);
    expect(a.id).toBe(`_${'07'.repeat(20)}`);
  });

  it('escapes XML special characters in every value', () => {
    const { xml } = createAuthnRequest({
      ...base,
      issuer: 'urn:a&b<c>"d\'',
      providerName: '</samlp:AuthnRequest><evil/>',
    });
    expect(xml).not.toContain('<evil/>');
    const parsed = parseAuthnRequest(xml);
    expect(parsed.issuer).toBe('urn:a&b<c>"d\'');
    expect(parsed.providerName).toBe('</samlp:AuthnRequest><evil/>');
  });

  it('keeps characters the parser would normalise or flag (U+0085, U+2028, U+2029, U+FFFD)', () => {
    const tricky = 'a\u0085b\u2028c\u2029d\ufffde';
    const { xml } = createAuthnRequest({
      ...base,
      issuer: tricky,
      providerName: tricky,
      nameIdPolicy: { spNameQualifier: tricky },
    });
    const parsed = parseAuthnRequest(xml);
    expect(parsed.issuer).toBe(tricky);
    expect(parsed.providerName).toBe(tricky);
    expect(parsed.nameIdPolicy?.spNameQualifier).toBe(tricky);
  });

  it('refuses contradictory or malformed options with TypeError', () => {
    const bad: unknown[] = [
      { ...base, assertionConsumerServiceUrl: 'https://sp/acs', assertionConsumerServiceIndex: 1 },
      { ...base, assertionConsumerServiceIndex: 1, protocolBinding: 'post' },
      { ...base, assertionConsumerServiceIndex: -1 },
      { ...base, issuer: '' },
      { ...base, issuer: ' padded ' },
      { ...base, destination: 'not a url' },
      { ...base, now: Number.NaN },
      { ...base, id: '1starts-with-digit' },
      { ...base, providerName: 'nul\u0000' },
      { ...base, requestedAuthnContext: { classRefs: [] } },
      { ...base, requestedAuthnContext: { classRefs: ['x'], comparison: 'sideways' } },
      { ...base, forceAuthn: 'yes' },
      { ...base, attributeConsumingServiceIndex: 65536 },
      { ...base, attributeConsumingServiceIndex: 1.5 },
      { ...base, scoping: { proxyCount: -1 } },
      { ...base, scoping: { proxyCount: 1.5 } },
      { ...base, scoping: { idpList: { entries: [] } } },
      { ...base, scoping: { idpList: { entries: [{ providerId: '' }] } } },
      { ...base, scoping: { idpList: { entries: [{ providerId: ' padded ' }] } } },
      { ...base, scoping: { idpList: { entries: [{ providerId: 'urn:a', loc: 'nul\u0000' }] } } },
      { ...base, scoping: { requesterIds: [] } },
      { ...base, scoping: { requesterIds: [''] } },
      { ...base, scoping: 'all' },
    ];
    for (const o of bad) {
      expect(() => createAuthnRequest(o as AuthnRequestOptions)).toThrow(TypeError);
    }
  });

  it('refuses Extensions that are not namespace-qualified, not well-formed, or carry a DTD', () => {
    const cases: Array<[string, string]> = [
      ['<Hint>x</Hint>', 'XML_UNEXPECTED_ELEMENT'],
      [
        '<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">x</saml:Issuer>',
        'XML_UNEXPECTED_ELEMENT',
      ],
      ['text', 'XML_UNEXPECTED_ELEMENT'],
      ['<a:X xmlns:a="urn:a">', 'XML_PARSE_ERROR'],
      ['<!DOCTYPE x [<!ENTITY e "boom">]><a:X xmlns:a="urn:a">&e;</a:X>', 'XML_DOCTYPE_FORBIDDEN'],
      ['', 'XML_MISSING_ELEMENT'],
    ];
    for (const [extensions, code] of cases) {
      expect(() => createAuthnRequest({ ...base, extensions }), extensions).toThrow(
        expect.objectContaining({ code }),
      );
    }
  });
});

describe('parseAuthnRequest refusals', () => {
  const good = createAuthnRequest(base).xml;
  const cases: Array<[string, string, string]> = [
    ['DOCTYPE', `<!DOCTYPE x>${good}`, 'XML_DOCTYPE_FORBIDDEN'],
    [
      'entity declaration',
      good.replace('<samlp:AuthnRequest', '<!ENTITY x "y"><samlp:AuthnRequest'),
      'XML_DOCTYPE_FORBIDDEN',
    ],
    ['wrong root', good.replace(/AuthnRequest/g, 'LogoutRequest'), 'XML_UNEXPECTED_ELEMENT'],
    ['version 1.1', good.replace('Version="2.0"', 'Version="1.1"'), 'MESSAGE_VERSION_UNSUPPORTED'],
    ['no Issuer', good.replace(/<saml:Issuer>.*<\/saml:Issuer>/, ''), 'XML_MISSING_ELEMENT'],
    [
      'bad IssueInstant',
      good.replace(/IssueInstant="[^"]+"/, 'IssueInstant="yesterday"'),
      'XML_INVALID_VALUE',
    ],
    [
      'index with URL',
      good.replace(
        'Version="2.0"',
        'Version="2.0" AssertionConsumerServiceIndex="1" AssertionConsumerServiceURL="https://x"',
      ),
      'XML_INVALID_VALUE',
    ],
    ['not XML', 'hello', 'XML_PARSE_ERROR'],
    [
      'a non-index AttributeConsumingServiceIndex',
      good.replace('Version="2.0"', 'Version="2.0" AttributeConsumingServiceIndex="70000"'),
      'XML_INVALID_VALUE',
    ],
    [
      'a negative ProxyCount',
      good.replace(
        '</samlp:AuthnRequest>',
        '<samlp:Scoping ProxyCount="-1"/></samlp:AuthnRequest>',
      ),
      'XML_INVALID_VALUE',
    ],
    [
      'an empty IDPList',
      good.replace(
        '</samlp:AuthnRequest>',
        '<samlp:Scoping><samlp:IDPList/></samlp:Scoping></samlp:AuthnRequest>',
      ),
      'XML_MISSING_ELEMENT',
    ],
    [
      'an IDPEntry without ProviderID',
      good.replace(
        '</samlp:AuthnRequest>',
        '<samlp:Scoping><samlp:IDPList><samlp:IDPEntry Name="x"/></samlp:IDPList></samlp:Scoping></samlp:AuthnRequest>',
      ),
      'XML_MISSING_ELEMENT',
    ],
    [
      'an empty RequesterID',
      good.replace(
        '</samlp:AuthnRequest>',
        '<samlp:Scoping><samlp:RequesterID> </samlp:RequesterID></samlp:Scoping></samlp:AuthnRequest>',
      ),
      'XML_MISSING_ELEMENT',
    ],
  ];
  for (const [name, xml, code] of cases) {
    it(`refuses ${name} with ${code}`, () => {
      try {
        parseAuthnRequest(xml);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SamlError);
        expect((e as SamlError).code).toBe(code);
      }
    });
  }

  it('refuses oversize input with XML_TOO_LARGE and too-deep nesting with XML_TOO_DEEP', () => {
    const big = good.replace(
      '</samlp:AuthnRequest>',
      `<!--${'x'.repeat(2_000_000)}--></samlp:AuthnRequest>`,
    );
    expect(() => parseAuthnRequest(big)).toThrow(
      expect.objectContaining({ code: 'XML_TOO_LARGE' }),
    );
    const deep = `<a:X xmlns:a="urn:a">${'<a:X>'.repeat(100)}${'</a:X>'.repeat(100)}</a:X>`;
    const nested = good.replace(
      '</saml:Issuer>',
      `</saml:Issuer><samlp:Extensions>${deep}</samlp:Extensions>`,
    );
    expect(() => parseAuthnRequest(nested)).toThrow(
      expect.objectContaining({ code: 'XML_TOO_DEEP' }),
    );
  });
});
