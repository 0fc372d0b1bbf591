import {
  type AuthnRequestOptions,
  createAuthnRequest,
  parseAuthnRequest,
  SamlError,
} from '@samlkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const NOW = Date.UTC(2026, 10, 23, 18, 0, 0, 123);
const base = {
  issuer: 'https://sp.example.com/saml/metadata',
  destination: 'https://idp.example.org/sso',
  now: NOW,
} as const;

// Arbitrary text XML can carry: any Unicode scalar except the few code points XML 1.0 forbids.
const xmlText = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  // biome-ignore lint/suspicious/noControlCharactersInRegex: filtering what XML cannot carry
  .filter((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s));
const trimmedText = xmlText.map((s) => s.trim()).filter((s) => s.length > 0);
const url = fc
  .tuple(fc.webUrl({ withQueryParameters: true }), fc.constantFrom('', '&x=<a>&y="b"', '#frag'))
  .map(
    ([u, extra]) => u + (extra.startsWith('#') || u.includes('?') ? extra : `?${extra.slice(1)}`),
  )
  .filter((u) => {
    try {
      new URL(u);
      return true;
    } catch {
      return false;
    }
  });

/** Arbitrary valid AuthnRequest options (without now/crypto). */
export const authnRequestOptions: fc.Arbitrary<AuthnRequestOptions> = fc
  .record(
    {
      issuer: trimmedText,
      destination: url,
      acs: fc.oneof(
        fc.record({
          assertionConsumerServiceUrl: url,
          protocolBinding: fc.constantFrom('post', 'urn:x:binding'),
        }),
        fc.record({ assertionConsumerServiceIndex: fc.integer({ min: 0, max: 65535 }) }),
        fc.constant({}),
      ),
      forceAuthn: fc.boolean(),
      isPassive: fc.boolean(),
      providerName: xmlText,
      nameIdPolicy: fc.record(
        { format: xmlText, allowCreate: fc.boolean(), spNameQualifier: xmlText },
        { requiredKeys: [] },
      ),
      requestedAuthnContext: fc.record(
        {
          comparison: fc.constantFrom('exact', 'minimum', 'maximum', 'better') as fc.Arbitrary<
            'exact' | 'minimum' | 'maximum' | 'better'
          >,
          classRefs: fc.array(trimmedText, { minLength: 1, maxLength: 3 }) as fc.Arbitrary<
            [string, ...string[]]
          >,
        },
        { requiredKeys: ['classRefs'] },
      ),
      extensions: fc.constantFrom(
        '<ext:Hint xmlns:ext="urn:example:ext">a &amp; b &lt;c&gt;</ext:Hint>',
        '<a:X xmlns:a="urn:a"/><b:Y xmlns:b="urn:b" k="v"><b:Z>é</b:Z></b:Y>',
      ),
      id: fc.stringMatching(/^_[0-9a-f]{40}$/),
    },
    { requiredKeys: ['issuer', 'acs'] },
  )
  .map(({ acs, ...rest }) => ({ ...rest, ...acs, now: NOW }) as AuthnRequestOptions);

/** What parseAuthnRequest must give back for options `o` (binding short names expanded). */
export function expectedRequest(o: AuthnRequestOptions, id: string) {
  const { now: _now, crypto: _c, id: _id, ...fields } = o;
  const out: Record<string, unknown> = { ...fields, id, issueInstant: NOW };
  if (o.protocolBinding === 'post') {
    out.protocolBinding = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
  }
  return out;
}

describe('createAuthnRequest / parseAuthnRequest', () => {
  it('round-trips arbitrary valid requests (property)', () => {
    fc.assert(
      fc.property(authnRequestOptions, (o) => {
        const created = createAuthnRequest(o);
        const parsed = parseAuthnRequest(created.xml);
        expect(parsed).toEqual(expectedRequest(o, created.id));
        expect(created.request).toEqual(parsed);
      }),
      { numRuns: 300 },
    );
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
