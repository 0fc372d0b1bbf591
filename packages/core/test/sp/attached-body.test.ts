// A body the server already read, handed over with attachRequestBody: samlkit reads it wherever
// it would read the Request's own body, under the same limits and checks.
import { attachRequestBody, isSamlError } from '@samlkit/core';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, readBody, readForm } from '../../src/sp/http.js';
import { BASE, req, setup, startLogin } from './support.js';

const enc = new TextEncoder();

/** A body-less POST to `path` with `body` attached, as the Node adapters build it. */
function attached(path: string, body: string, type = 'application/x-www-form-urlencoded') {
  const bytes = enc.encode(body);
  return attachRequestBody(
    new Request(`${BASE}${path}`, {
      method: 'POST',
      headers: { 'content-type': type, 'content-length': String(bytes.length) },
    }),
    bytes,
  );
}

describe('attachRequestBody', () => {
  it('carries the IdP Response to the ACS: the login completes as with a streamed body', async () => {
    const s = await setup();
    const { request, relayState, browserCookie } = await startLogin(s.sp, s.idp);
    const delivery = await s.idp.answerLogin(request, relayState);
    if (delivery.binding !== 'post') throw new Error('expected a POST delivery');
    const acs = await s.sp.handle(attached('/saml/acs', delivery.form.toString()));
    expect(acs?.status).toBe(303);
    const finish = await s.sp.acs(req(acs!.headers.get('location')!, { cookie: browserCookie }));
    expect(finish.status).toBe(303);
    expect(finish.headers.getSetCookie().some((c) => c.startsWith('__Host-samlkit_session='))).toBe(
      true,
    );
  });

  it('reads the attached bytes, not the (absent) Request body, as UTF-8', async () => {
    const request = attached('/saml/acs', 'RelayState=caf%C3%A9&x=%E2%82%AC');
    const form = await readForm(request);
    expect(form.get('RelayState')).toBe('café');
    expect(await readBody(attached('/saml/slo', '<e>ü</e>', 'text/xml'))).toBe('<e>ü</e>');
  });

  it('keeps the checks of a form: repeated SAML fields and non-form bodies are refused', async () => {
    const twice = attached('/saml/acs', 'SAMLResponse=a&SAMLResponse=b');
    await expect(readForm(twice)).rejects.toMatchObject({ code: 'BINDING_INVALID' });
    const json = attached('/saml/acs', '{}', 'application/json');
    await expect(readForm(json)).rejects.toMatchObject({ code: 'BINDING_INVALID' });
  });

  it('applies the body limit to attached bytes, whatever Content-Length says', async () => {
    const big = new Uint8Array(MAX_BODY_BYTES + 1).fill(0x61);
    const lying = attachRequestBody(
      new Request(`${BASE}/saml/acs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '10' },
      }),
      big,
    );
    const error = await readBody(lying).catch((e: unknown) => e);
    expect(isSamlError(error) && error.code).toBe('XML_TOO_LARGE');
    const s = await setup();
    const answer = await s.sp.handle(lying);
    expect(answer?.status).toBe(400);
  });

  it('refuses a Request that has a body of its own', () => {
    const withBody = new Request(`${BASE}/saml/acs`, { method: 'POST', body: 'SAMLResponse=x' });
    expect(() => attachRequestBody(withBody, enc.encode('SAMLResponse=y'))).toThrow(TypeError);
  });
});
