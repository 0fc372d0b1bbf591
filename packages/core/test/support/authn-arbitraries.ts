import type { AuthnRequestOptions, IdpEntry } from '@samlkit/core';
import fc from 'fast-check';

/** The fixed instant every generated request is issued at. */
export const NOW = Date.UTC(2026, 10, 23, 18, 0, 0, 123);
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
      attributeConsumingServiceIndex: fc.integer({ min: 0, max: 65535 }),
      scoping: fc.record(
        {
          proxyCount: fc.nat(),
          idpList: fc.record(
            {
              entries: fc.array(
                fc.record(
                  { providerId: trimmedText, name: xmlText, loc: url },
                  { requiredKeys: ['providerId'] },
                ),
                { minLength: 1, maxLength: 3 },
              ) as fc.Arbitrary<[IdpEntry, ...IdpEntry[]]>,
              getComplete: url,
            },
            { requiredKeys: ['entries'] },
          ),
          requesterIds: fc.array(trimmedText, { minLength: 1, maxLength: 3 }) as fc.Arbitrary<
            [string, ...string[]]
          >,
        },
        { requiredKeys: [] },
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
