import {
  createAuthnRequest,
  decodePostBinding,
  POST_FORM_SCRIPT,
  POST_FORM_SCRIPT_HASH,
  parseAuthnRequest,
  renderPostForm,
  SamlError,
} from '@samlkit/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseXml } from '../../src/lib/xml.js';
import { signXml } from '../../src/signature/sign.js';
import { verifyElementSignature } from '../../src/signature/verify.js';
import { authnRequestOptions, expectedRequest } from '../support/authn-arbitraries.js';
import { generateTestKeyPair, type TestKeyPair } from '../support/generated-keys.js';
import { submitForm } from '../support/html-form.js';

let rsa: TestKeyPair;
let ec: TestKeyPair;
let other: TestKeyPair;
beforeAll(async () => {
  [rsa, ec, other] = await Promise.all([
    generateTestKeyPair('rsa'),
    generateTestKeyPair('p256'),
    generateTestKeyPair('p256'),
  ]);
});

const ACTION = 'https://idp.example.org/sso';

describe('HTTP-POST binding', () => {
  it('round-trips build → (sign) → form → decode → parse (property: unsigned, RSA, P-256)', async () => {
    await fc.assert(
      fc.asyncProperty(
        authnRequestOptions,
        fc.option(fc.string({ unit: 'grapheme', maxLength: 120 }), { nil: undefined }),
        fc.constantFrom('none', 'rsa', 'p256'),
        async (options, relayState, signer) => {
          const created = createAuthnRequest(options);
          const keys = signer === 'rsa' ? rsa : signer === 'p256' ? ec : undefined;
          const xml = keys ? await signXml(created.xml, { key: keys.privateKey }) : created.xml;
          const html = renderPostForm({
            action: ACTION,
            type: 'SAMLRequest',
            xml,
            ...(relayState !== undefined && { relayState }),
          });
          const { action, fields } = submitForm(html);
          expect(action).toBe(ACTION);
          expect(fields.RelayState).toBe(relayState);
          const received = decodePostBinding(fields.SAMLRequest!);
          expect(received).toBe(xml);
          const root = parseXml(received).documentElement;
          if (keys) {
            const verified = await verifyElementSignature(root, {
              keys: [other.publicKey, keys.publicKey],
            });
            expect(verified?.key).toBe(keys.publicKey);
          } else {
            expect(await verifyElementSignature(root, { keys: [rsa.publicKey] })).toBeNull();
          }
          expect(parseAuthnRequest(received)).toEqual(expectedRequest(options, created.id));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a browser reads back a RelayState with line breaks and separators exactly (CR, LF, U+0085, U+2028, U+2029)', () => {
    // Regression: U+2028 in RelayState came back as a space from a non-HTML reader, and a raw CR
    // becomes LF in any HTML parser (input-stream preprocessing), so CR is sent as a reference.
    const relayState = 'a\rb\r\nc\nd\u0085e\u2028f\u2029g\th';
    const html = renderPostForm({ action: ACTION, type: 'SAMLRequest', value: 'PHg+', relayState });
    expect(html).not.toContain('\r');
    expect(submitForm(html).fields.RelayState).toBe(relayState);
  });

  it('escapes every value so no markup can break out of the form', () => {
    const evil = `"><script>alert(1)</script>'&<`;
    const html = renderPostForm({
      action: `https://idp.example.org/sso?a=${encodeURIComponent('x')}&b="><script>`,
      type: 'SAMLResponse',
      value: evil,
      relayState: evil,
      nonce: `n"><script>`,
    });
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toContain('alert(1)</script>');
    const { fields } = submitForm(html);
    expect(fields.SAMLResponse).toBe(evil);
    expect(fields.RelayState).toBe(evil);
  });

  it('carries the CSP nonce, a script whose hash is published, and a noscript button', async () => {
    const html = renderPostForm({
      action: ACTION,
      type: 'SAMLRequest',
      xml: '<x/>',
      nonce: 'r4nd0m',
    });
    expect(html).toContain(`<script nonce="r4nd0m">${POST_FORM_SCRIPT}</script>`);
    expect(html).toMatch(/<noscript>.*<button type="submit">.*<\/noscript>/s);
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(POST_FORM_SCRIPT)),
    );
    expect(POST_FORM_SCRIPT_HASH).toBe(`sha256-${btoa(String.fromCharCode(...digest))}`);
    expect(renderPostForm({ action: ACTION, type: 'SAMLRequest', xml: '<x/>' })).toContain(
      `<script>${POST_FORM_SCRIPT}</script>`,
    );
  });

  it('refuses caller mistakes with TypeError', () => {
    const bad: unknown[] = [
      { action: 'javascript:alert(1)', type: 'SAMLRequest', xml: '<x/>' },
      { action: 'not a url', type: 'SAMLRequest', xml: '<x/>' },
      { action: ACTION, type: 'Other', xml: '<x/>' },
      { action: ACTION, type: 'SAMLRequest' },
      { action: ACTION, type: 'SAMLRequest', xml: '<x/>', value: 'eA==' },
      { action: ACTION, type: 'SAMLRequest', xml: '<x/>', nonce: '' },
    ];
    for (const o of bad) expect(() => renderPostForm(o as never)).toThrow(TypeError);
  });

  it('refuses incoming values with the documented codes', () => {
    const b64 = (s: string) => {
      const bytes = new TextEncoder().encode(s);
      let bin = '';
      for (let i = 0; i < bytes.length; i += 8192) {
        bin += String.fromCharCode(...bytes.subarray(i, i + 8192));
      }
      return btoa(bin);
    };
    const cases: Array<[string, () => unknown, string]> = [
      ['empty', () => decodePostBinding('  '), 'BINDING_INVALID'],
      ['malformed base64', () => decodePostBinding('PHg+*'), 'BASE64_INVALID'],
      ['not UTF-8', () => decodePostBinding(btoa('\xff\xfe<')), 'XML_PARSE_ERROR'],
      ['not XML', () => decodePostBinding(b64('hello')), 'BINDING_INVALID'],
      [
        'oversize',
        () => decodePostBinding(b64(`<a>${'x'.repeat(2 * 1024 * 1024)}</a>`)),
        'XML_TOO_LARGE',
      ],
      [
        'over a custom limit',
        () => decodePostBinding(b64('<a>0123456789</a>'), { maxBytes: 10 }),
        'XML_TOO_LARGE',
      ],
    ];
    for (const [name, fn, code] of cases) {
      try {
        fn();
        expect.unreachable(name);
      } catch (e) {
        expect(e, name).toBeInstanceOf(SamlError);
        expect((e as SamlError).code, name).toBe(code);
      }
    }
    expect(decodePostBinding(`${b64('<a>é</a>').slice(0, 4)}\n${b64('<a>é</a>').slice(4)}`)).toBe(
      '<a>é</a>',
    );
  });
});
