import {
  createLogoutRequest,
  createLogoutResponse,
  encodeOutgoingMessage,
  type IncomingSamlMessage,
  type OutgoingMessage,
  POST_FORM_SCRIPT_HASH,
  validateLogoutRequest,
  validateLogoutResponse,
} from '@samlkit/core';
import { generateTestKeys, type TestKeys } from '@samlkit/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_BINDINGS, expectCode, IDP, NOW, SLO } from './support.js';

let idp: TestKeys;
beforeAll(async () => {
  idp = await generateTestKeys({ subject: 'idp' });
});

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&#96;': '`',
};

/** What a browser would post: the hidden fields of the page. */
function formOf(html: string): Record<string, string> {
  const form: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form[m[1]!.replace(/&[#\w]+;/g, (e) => ENTITIES[e]!)] = m[2]!.replace(
      /&[#\w]+;/g,
      (e) => ENTITIES[e]!,
    );
  }
  return form;
}

/** Turns what the sender produced into what the receiving endpoint sees. */
function arrive(out: OutgoingMessage): IncomingSamlMessage {
  switch (out.binding) {
    case 'redirect':
      return { binding: 'redirect', query: out.url };
    case 'post':
    case 'simpleSign':
      return { binding: out.binding, form: formOf(out.html) };
    case 'soap':
      return { binding: 'soap', body: out.body };
  }
}

const opts = {
  sp: { singleLogoutServices: [{ binding: 'redirect' as const, location: SLO }] },
  idp: { entityId: IDP, signingKeys: [] as never[] },
  now: NOW,
};

describe('encodeOutgoingMessage', () => {
  it('what it sends on any binding, signed or not, is what the validators read', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ALL_BINDINGS),
        fc.boolean(),
        fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
        async (binding, signed, relayState) => {
          const validation = { ...opts, idp: { entityId: IDP, signingKeys: [idp.publicKey] } };
          const req = await createLogoutRequest({
            issuer: IDP,
            destination: SLO,
            nameId: { value: 'u1' },
            now: NOW,
          });
          const out = await encodeOutgoingMessage({
            binding,
            type: 'SAMLRequest',
            xml: req.xml,
            destination: SLO,
            ...(relayState !== undefined ? { relayState, allowLongRelayState: true } : {}),
            ...(signed ? { sign: { key: idp.privateKey, certificate: idp.certificatePem } } : {}),
          });
          expect(out.binding).toBe(binding);
          const incoming = arrive(out);
          if (!signed) {
            await expectCode(validateLogoutRequest(incoming, validation), 'SIGNATURE_MISSING');
            return;
          }
          const got = await validateLogoutRequest(incoming, validation);
          expect(got.id).toBe(req.id);
          expect(got.relayState).toBe(binding === 'soap' ? undefined : relayState);
          const res = createLogoutResponse({
            issuer: IDP,
            destination: SLO,
            inResponseTo: req.id,
            now: NOW,
          });
          const back = await encodeOutgoingMessage({
            binding,
            type: 'SAMLResponse',
            xml: res.xml,
            destination: SLO,
            sign: { key: idp.privateKey },
          });
          const answer = await validateLogoutResponse(arrive(back), {
            ...validation,
            inResponseTo: req.id,
          });
          expect(answer.id).toBe(res.id);
        },
      ),
      { numRuns: 24 },
    );
  });

  it('serves pages a strict CSP allows by hash, with the nonce when given', async () => {
    const { xml } = createLogoutResponse({
      issuer: IDP,
      destination: SLO,
      inResponseTo: '_a',
      now: NOW,
    });
    const hash = POST_FORM_SCRIPT_HASH.replace(/^sha256-/, '');
    for (const binding of ['post', 'simpleSign'] as const) {
      const out = await encodeOutgoingMessage({
        binding,
        type: 'SAMLResponse',
        xml,
        destination: SLO,
        nonce: 'n0"',
      });
      if (out.binding === 'redirect' || out.binding === 'soap') throw new Error('unexpected');
      const script = /<script[^>]*>([^<]*)<\/script>/.exec(out.html)![1]!;
      const digest = btoa(
        String.fromCharCode(
          ...new Uint8Array(
            await crypto.subtle.digest('SHA-256', new TextEncoder().encode(script)),
          ),
        ),
      );
      expect(digest).toBe(hash);
      expect(out.html).toContain('nonce="n0&quot;"');
    }
  });

  it('needs a destination except for SOAP', async () => {
    const { xml } = createLogoutResponse({ issuer: IDP, inResponseTo: '_a', now: NOW });
    await expect(
      encodeOutgoingMessage({ binding: 'post', type: 'SAMLResponse', xml }),
    ).rejects.toThrow(TypeError);
    const soap = await encodeOutgoingMessage({ binding: 'soap', type: 'SAMLResponse', xml });
    expect(soap).toMatchObject({ binding: 'soap', contentType: 'text/xml; charset=utf-8' });
  });
});
