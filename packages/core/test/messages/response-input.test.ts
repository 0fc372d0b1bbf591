import { encodeRedirect, encodeSimpleSign, validateResponse } from '@samlkit/core';
import { buildResponse, generateTestKeys, type TestKeys, toPostBinding } from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACS, refusalCode, responseSetup } from '../support/response-setup.js';

// validateResponse takes the message as received, per binding, like the logout validators: the
// same result as the string form, plus the binding and RelayState, and a binding-level signature
// (Redirect query, SimpleSign form) is verified against the IdP keys when one is present.

let idp: TestKeys;
let attacker: TestKeys;

beforeAll(async () => {
  [idp, attacker] = await Promise.all([
    generateTestKeys({ subject: 'idp' }),
    generateTestKeys({ subject: 'attacker' }),
  ]);
});

const { base, options } = responseSetup(() => idp);
const codeOf = refusalCode;

const b64 = toPostBinding;

describe('validateResponse takes an IncomingSamlMessage', () => {
  it('a POST form gives the same result as the string, with the binding and RelayState', async () => {
    const xml = await buildResponse(base());
    const fromString = await validateResponse(b64(xml), options());
    const fromForm = await validateResponse(
      { binding: 'post', form: { SAMLResponse: b64(xml), RelayState: 'r-1' } },
      options(),
    );
    expect(fromForm.userId).toBe(fromString.userId);
    expect(fromForm.assertionId).toBe(fromString.assertionId);
    expect(fromForm.binding).toBe('post');
    expect(fromForm.relayState).toBe('r-1');
    expect(fromString.binding).toBeUndefined();
  });

  it('a POST form carrying a SAMLRequest is refused', async () => {
    const xml = await buildResponse(base());
    expect(
      await codeOf(
        validateResponse({ binding: 'post', form: { SAMLRequest: b64(xml) } }, options()),
      ),
    ).toBe('BINDING_INVALID');
  });

  it('a signed Redirect query must verify with the IdP keys', async () => {
    const xml = await buildResponse(base());
    const signedBy = (key: TestKeys) =>
      encodeRedirect({
        destination: ACS,
        type: 'SAMLResponse',
        xml,
        relayState: 'r-2',
        sign: { key: key.privateKey },
      });
    const good = await validateResponse(
      { binding: 'redirect', query: await signedBy(idp) },
      options(),
    );
    expect(good.binding).toBe('redirect');
    expect(good.relayState).toBe('r-2');
    // The assertion's own signature is valid: only the query signature is the attacker's.
    expect(
      await codeOf(
        validateResponse({ binding: 'redirect', query: await signedBy(attacker) }, options()),
      ),
    ).toBe('SIGNATURE_INVALID');
  });

  it('a SimpleSign form signature must verify with the IdP keys', async () => {
    const xml = await buildResponse(base());
    const form = (key: TestKeys) =>
      encodeSimpleSign({
        type: 'SAMLResponse',
        xml,
        sign: { key: key.privateKey },
      });
    const good = await validateResponse(
      { binding: 'simpleSign', form: await form(idp) },
      options(),
    );
    expect(good.binding).toBe('simpleSign');
    expect(
      await codeOf(
        validateResponse({ binding: 'simpleSign', form: await form(attacker) }, options()),
      ),
    ).toBe('SIGNATURE_INVALID');
  });
});
