import {
  createAuthnRequest,
  type DecodedRedirect,
  decodeRedirect,
  encodeRedirect,
  isSamlError,
  loadPublicKey,
  parseAuthnRequest,
  SamlError,
  verifyRedirectSignature,
} from '@samlkit/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeWithFixtures, sharedFixtures } from '../../../../test/support/fixtures.js';
import { authnRequestOptions, expectedRequest } from '../support/authn-arbitraries.js';
import { generateTestKeyPair, type TestKeyPair } from '../support/generated-keys.js';

let rsa: TestKeyPair;
let ec: TestKeyPair;
let other: TestKeyPair;
beforeAll(async () => {
  [rsa, ec, other] = await Promise.all([
    generateTestKeyPair('rsa'),
    generateTestKeyPair('p256'),
    generateTestKeyPair('rsa'),
  ]);
});

const IDP = 'https://idp.example.org/sso';
const simpleXml = createAuthnRequest({
  issuer: 'https://sp.example.com/metadata',
  destination: IDP,
  now: Date.UTC(2026, 0, 1),
}).xml;

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SamlError);
    expect((e as SamlError).code).toBe(code);
    return;
  }
  expect.unreachable(`expected ${code}`);
}

const relayStates = fc.option(
  fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.string({ unit: 'grapheme', minLength: 81, maxLength: 200 }),
    fc.constantFrom('&RelayState=x', 'a+b c%20d', '=&?#', '+'),
  ),
  { nil: undefined },
);

describe('HTTP-Redirect binding', () => {
  it('round-trips build → encode → decode → verify → parse (property: signed and unsigned, RSA and P-256)', async () => {
    await fc.assert(
      fc.asyncProperty(
        authnRequestOptions,
        relayStates,
        fc.constantFrom('none', 'rsa', 'p256'),
        fc.constantFrom(IDP, `${IDP}?tenant=a%20b&x=1`, `${IDP}?`, `${IDP}#frag`),
        async (options, relayState, signer, destination) => {
          const created = createAuthnRequest(options);
          const keys = signer === 'rsa' ? rsa : signer === 'p256' ? ec : undefined;
          const url = await encodeRedirect({
            destination,
            type: 'SAMLRequest',
            xml: created.xml,
            ...(relayState !== undefined && { relayState, allowLongRelayState: true }),
            ...(keys && { sign: { key: keys.privateKey } }),
          });
          expect(url.startsWith(destination.replace(/#.*/, ''))).toBe(true);
          const decoded = await decodeRedirect(url);
          expect(decoded.type).toBe('SAMLRequest');
          expect(decoded.xml).toBe(created.xml);
          expect(decoded.relayState).toBe(relayState);
          if (keys) {
            const key = await verifyRedirectSignature(decoded, {
              keys: [other.publicKey, keys.publicKey],
            });
            expect(key).toBe(keys.publicKey);
          } else {
            await expectCode(
              verifyRedirectSignature(decoded, { keys: [rsa.publicKey] }),
              'SIGNATURE_MISSING',
            );
          }
          expect(parseAuthnRequest(decoded.xml)).toEqual(expectedRequest(options, created.id));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('signs exactly SAMLRequest=…&RelayState=…&SigAlg=… and keeps extra params out of it', async () => {
    const url = await encodeRedirect({
      destination: `${IDP}?tenant=1`,
      type: 'SAMLRequest',
      xml: simpleXml,
      relayState: 'abc',
      sign: { key: rsa.privateKey },
      extraParams: { domain_hint: 'example.com', whr: 'urn:x' },
    });
    const query = url.slice(url.indexOf('?') + 1);
    const names = query.split('&').map((p) => p.split('=')[0]);
    expect(names).toEqual([
      'tenant',
      'SAMLRequest',
      'RelayState',
      'SigAlg',
      'Signature',
      'domain_hint',
      'whr',
    ]);
    const decoded = await decodeRedirect(url);
    const signed = new TextDecoder().decode(decoded.signedOctets);
    expect(signed).toBe(query.slice(query.indexOf('SAMLRequest='), query.indexOf('&Signature=')));
    expect(decoded.sigAlg).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    await verifyRedirectSignature(decoded, { keys: [rsa.publicKey] });
    // Changing an unsigned extra parameter does not matter; changing a signed one does.
    await verifyRedirectSignature(await decodeRedirect(url.replace('whr=urn', 'whr=xxx')), {
      keys: [rsa.publicKey],
    });
    await expectCode(
      verifyRedirectSignature(
        await decodeRedirect(url.replace('RelayState=abc', 'RelayState=abd')),
        {
          keys: [rsa.publicKey],
        },
      ),
      'SIGNATURE_INVALID',
    );
  });

  it('verifies over the raw octets as received, whatever the sender’s percent-encoding', async () => {
    const url = await encodeRedirect({
      destination: IDP,
      type: 'SAMLRequest',
      xml: simpleXml,
      relayState: 'a/b c',
      sign: { key: rsa.privateKey },
    });
    // Re-sign the same parameters spelled with lower-case escapes and + for space, as .NET and PHP do.
    const decoded = await decodeRedirect(url);
    const m = /SAMLRequest=([^&]*)/.exec(url)![1]!.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
    const signedText = `SAMLRequest=${m}&RelayState=a%2fb+c&SigAlg=${encodeURIComponent(decoded.sigAlg!)}`;
    const sigKey = await crypto.subtle.importKey(
      'pkcs8',
      Uint8Array.from(atob(rsa.privatePem.replace(/-----[^-]+-----|\s/g, '')), (c) =>
        c.charCodeAt(0),
      ),
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const sig = new Uint8Array(
      await crypto.subtle.sign('RSASSA-PKCS1-v1_5', sigKey, new TextEncoder().encode(signedText)),
    );
    const foreign = `${IDP}?${signedText}&Signature=${encodeURIComponent(btoa(String.fromCharCode(...sig))).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`;
    const got = await decodeRedirect(foreign);
    expect(got.relayState).toBe('a/b c');
    expect(got.xml).toBe(simpleXml);
    await verifyRedirectSignature(got, { keys: [rsa.publicKey] });
  });

  it('refuses every single-character corruption of a signed query (property)', async () => {
    const url = await encodeRedirect({
      destination: IDP,
      type: 'SAMLRequest',
      xml: simpleXml,
      relayState: 'state/ü+1',
      sign: { key: ec.privateKey },
    });
    const query = url.slice(url.indexOf('?') + 1);
    const original = await decodeRedirect(query);
    await verifyRedirectSignature(original, { keys: [ec.publicKey] });
    const same = (d: DecodedRedirect) =>
      d.xml === original.xml &&
      d.relayState === original.relayState &&
      d.sigAlg === original.sigAlg &&
      d.signature !== undefined &&
      d.signature.length === original.signature!.length &&
      d.signature.every((b, i) => b === original.signature![i]);
    const alphabet = 'AZaz09+/=%&-_.~2Fé';
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: query.length - 1 }),
        fc.constantFrom(...alphabet),
        async (pos, ch) => {
          if (query[pos] === ch) return;
          const corrupted = query.slice(0, pos) + ch + query.slice(pos + 1);
          let decoded: DecodedRedirect;
          try {
            decoded = await decodeRedirect(corrupted);
            await verifyRedirectSignature(decoded, { keys: [ec.publicKey] });
          } catch (e) {
            expect(isSamlError(e), String(e)).toBe(true);
            return;
          }
          // The only change that may pass is another spelling of the same Signature octets
          // (%2F vs %2f): the signed parameters and every decoded value are then identical.
          expect(pos).toBeGreaterThan(query.indexOf('&Signature='));
          expect(same(decoded)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
    // And exhaustively over one substitution per position.
    for (let pos = 0; pos < query.length; pos++) {
      const ch = query[pos] === 'B' ? 'C' : 'B';
      const corrupted = query.slice(0, pos) + ch + query.slice(pos + 1);
      const outcome = await decodeRedirect(corrupted)
        .then(
          (d) => verifyRedirectSignature(d, { keys: [ec.publicKey] }).then(() => 'accepted'),
          (e: unknown) => (isSamlError(e) ? 'refused' : `other: ${e}`),
        )
        .catch((e: unknown) => (isSamlError(e) ? 'refused' : `other: ${e}`));
      expect(outcome, `position ${pos}`).toBe('refused');
    }
  });

  it('refuses a signature whose base64 is not canonical (stray bits in the last character)', async () => {
    const url = await encodeRedirect({
      destination: IDP,
      type: 'SAMLRequest',
      xml: simpleXml,
      sign: { key: rsa.privateKey },
    });
    // RSA-2048: 256 bytes → "…X==": X carries 4 unused bits.
    const m = /Signature=([^&]*)%3D%3D$/.exec(url)!;
    const last = m[1]!.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
    const tampered = `${url.slice(0, m.index + 10 + m[1]!.length - 1)}${encodeURIComponent(twin)}%3D%3D`;
    await expectCode(decodeRedirect(tampered), 'BASE64_INVALID');
  });

  it('refuses with the documented codes', async () => {
    const signed = await encodeRedirect({
      destination: IDP,
      type: 'SAMLRequest',
      xml: simpleXml,
      sign: { key: rsa.privateKey },
    });
    const unsigned = await encodeRedirect({
      destination: IDP,
      type: 'SAMLRequest',
      xml: simpleXml,
      relayState: 'x',
    });
    const value = /SAMLRequest=([^&]*)/.exec(unsigned)![1]!;
    const sha1 = signed.replace(
      /SigAlg=[^&]*/,
      `SigAlg=${encodeURIComponent('http://www.w3.org/2000/09/xmldsig#rsa-sha1')}`,
    );
    const hmac = signed.replace(
      /SigAlg=[^&]*/,
      `SigAlg=${encodeURIComponent('http://www.w3.org/2000/09/xmldsig#hmac-sha1')}`,
    );
    const bomb = await encodeRedirect({
      destination: IDP,
      type: 'SAMLRequest',
      xml: `<a>${'\u0000'.repeat(0)}${' '.repeat(10 * 1024 * 1024)}</a>`,
    });
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ['no message', () => decodeRedirect('RelayState=x'), 'BINDING_INVALID'],
      [
        'both messages',
        () => decodeRedirect(`SAMLRequest=${value}&SAMLResponse=${value}`),
        'BINDING_INVALID',
      ],
      [
        'repeated parameter',
        () => decodeRedirect(`SAMLRequest=${value}&SAMLRequest=${value}`),
        'BINDING_INVALID',
      ],
      ['SigAlg without Signature', () => decodeRedirect(`${unsigned}&SigAlg=x`), 'BINDING_INVALID'],
      [
        'Signature without SigAlg',
        () => decodeRedirect(`${unsigned}&Signature=AAAA`),
        'BINDING_INVALID',
      ],
      [
        'bad percent-encoding',
        () => decodeRedirect(`SAMLRequest=${value}%E0%A4%A`),
        'BINDING_INVALID',
      ],
      [
        'other SAMLEncoding',
        () => decodeRedirect(`${unsigned}&SAMLEncoding=urn:other`),
        'BINDING_INVALID',
      ],
      ['empty message', () => decodeRedirect('SAMLRequest='), 'BINDING_INVALID'],
      ['malformed base64', () => decodeRedirect('SAMLRequest=ab*d'), 'BASE64_INVALID'],
      [
        'not deflate',
        () => decodeRedirect(`SAMLRequest=${encodeURIComponent(btoa('<x/>'))}`),
        'INFLATE_FAILED',
      ],
      ['deflate bomb (10 MB)', () => decodeRedirect(bomb), 'INFLATE_TOO_LARGE'],
      [
        'oversize query',
        () => decodeRedirect(`SAMLRequest=${'A'.repeat(70_000)}`),
        'BINDING_INVALID',
      ],
      [
        'oversize RelayState',
        () => decodeRedirect(`${unsigned}x${'y'.repeat(2000)}`),
        'RELAY_STATE_INVALID',
      ],
      [
        'unsigned, signature required',
        async () =>
          verifyRedirectSignature(await decodeRedirect(unsigned), { keys: [rsa.publicKey] }),
        'SIGNATURE_MISSING',
      ],
      [
        'wrong key',
        async () =>
          verifyRedirectSignature(await decodeRedirect(signed), { keys: [other.publicKey] }),
        'SIGNATURE_INVALID',
      ],
      [
        'unknown SigAlg',
        async () => verifyRedirectSignature(await decodeRedirect(hmac), { keys: [rsa.publicKey] }),
        'SIGNATURE_ALGORITHM_UNSUPPORTED',
      ],
      [
        'SHA-1 without allowSha1',
        async () => verifyRedirectSignature(await decodeRedirect(sha1), { keys: [rsa.publicKey] }),
        'SIGNATURE_ALGORITHM_FORBIDDEN',
      ],
      [
        'SHA-1 allowed but the signature is SHA-256',
        async () =>
          verifyRedirectSignature(await decodeRedirect(sha1), {
            keys: [rsa.publicKey],
            allowSha1: true,
          }),
        'SIGNATURE_INVALID',
      ],
      [
        'RelayState over 80 bytes on send',
        () =>
          encodeRedirect({
            destination: IDP,
            type: 'SAMLRequest',
            xml: simpleXml,
            relayState: 'x'.repeat(81),
          }),
        'RELAY_STATE_INVALID',
      ],
    ];
    for (const [name, fn, code] of cases) {
      try {
        await fn();
        expect.unreachable(name);
      } catch (e) {
        expect(isSamlError(e), `${name}: ${e}`).toBe(true);
        expect((e as SamlError).code, name).toBe(code);
      }
    }
  });

  it('decodes from a URL object, a request target and a bare query alike', async () => {
    const url = await encodeRedirect({
      destination: `${IDP}?tenant=1`,
      type: 'SAMLResponse',
      xml: simpleXml,
      relayState: 'r',
      sign: { key: rsa.privateKey },
    });
    const target = url.slice(url.indexOf('/', 8));
    for (const input of [
      new URL(url),
      url,
      target,
      url.slice(url.indexOf('?') + 1),
      `${url}#frag`,
    ]) {
      const decoded = await decodeRedirect(input);
      expect(decoded).toMatchObject({ type: 'SAMLResponse', xml: simpleXml, relayState: 'r' });
      await verifyRedirectSignature(decoded, { keys: [rsa.publicKey] });
    }
  });

  it('accepts SHA-1 only with allowSha1', async () => {
    const url = await encodeRedirect({
      destination: IDP,
      type: 'SAMLResponse',
      xml: simpleXml,
      sign: { key: rsa.privateKey, algorithm: 'rsa-sha1' },
    });
    const decoded = await decodeRedirect(url);
    await expectCode(
      verifyRedirectSignature(decoded, { keys: [rsa.publicKey] }),
      'SIGNATURE_ALGORITHM_FORBIDDEN',
    );
    expect(await verifyRedirectSignature(decoded, { keys: [rsa.publicKey], allowSha1: true })).toBe(
      rsa.publicKey,
    );
  });

  it('refuses caller mistakes with TypeError', async () => {
    const base = { destination: IDP, type: 'SAMLRequest', xml: simpleXml } as const;
    await expect(encodeRedirect({ ...base, destination: 'javascript:alert(1)' })).rejects.toThrow(
      TypeError,
    );
    await expect(encodeRedirect({ ...base, destination: `${IDP}?SAMLRequest=x` })).rejects.toThrow(
      TypeError,
    );
    await expect(encodeRedirect({ ...base, extraParams: { RelayState: 'x' } })).rejects.toThrow(
      TypeError,
    );
    await expect(encodeRedirect({ ...base, extraParams: [['Signature', 'x']] })).rejects.toThrow(
      TypeError,
    );
    await expect(encodeRedirect({ ...base, type: 'SAMLThing' as 'SAMLRequest' })).rejects.toThrow(
      TypeError,
    );
    await expect(
      encodeRedirect({ ...base, sign: { key: rsa.privateKey, algorithm: 'ecdsa-sha256' } }),
    ).rejects.toMatchObject({
      code: 'SIGNATURE_ALGORITHM_UNSUPPORTED',
    });
  });
});

// Real signed Redirect-binding messages from SimpleSAMLphp (see shared/interop/manifest.json).
const interopFiles = ['logoutrequest', 'logoutresponse'];
const fx = sharedFixtures('interop', [
  ...interopFiles.flatMap((kind) => [
    `logout/simplesamlphp-local-${kind}-1.query.txt`,
    `logout/simplesamlphp-local-${kind}-1.xml`,
  ]),
  'certs/simplesamlphp-local-idp.pem',
  'certs/okta-0f8823909edc.pem',
]);

describeWithFixtures(fx, 'HTTP-Redirect interop (SimpleSAMLphp)', () => {
  const read = async (path: string) => fx.read(path);
  for (const kind of interopFiles) {
    it(`verifies the SimpleSAMLphp ${kind} with the IdP certificate and refuses it with another key`, async () => {
      const query = (await read(`logout/simplesamlphp-local-${kind}-1.query.txt`)).trim();
      const xml = await read(`logout/simplesamlphp-local-${kind}-1.xml`);
      const cert = loadPublicKey(await read('certs/simplesamlphp-local-idp.pem'));
      const decoded = await decodeRedirect(query);
      expect(decoded.type).toBe(kind === 'logoutrequest' ? 'SAMLRequest' : 'SAMLResponse');
      expect(decoded.xml.trim()).toBe(xml.trim());
      expect(decoded.sigAlg).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
      expect(await verifyRedirectSignature(decoded, { keys: [cert] })).toBe(cert);
      const otherCert = loadPublicKey(await read('certs/okta-0f8823909edc.pem'));
      await expectCode(
        verifyRedirectSignature(decoded, { keys: [otherCert] }),
        'SIGNATURE_INVALID',
      );
      await expectCode(
        verifyRedirectSignature(decoded, { keys: [other.publicKey] }),
        'SIGNATURE_INVALID',
      );
    });
  }
});
