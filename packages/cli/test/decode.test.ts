import { createAuthnRequest, encodeRedirect, renderPostForm } from '@samlkit/core';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';

const { xml } = createAuthnRequest({
  issuer: 'https://sp.example.com/metadata',
  destination: 'https://idp.example.org/sso',
  assertionConsumerServiceUrl: 'https://sp.example.com/acs',
  providerName: 'Ünïcode & <friends>',
  now: Date.UTC(2026, 0, 1),
});
const postValue = btoa(String.fromCharCode(...new TextEncoder().encode(xml)));

async function redirectUrl(): Promise<string> {
  return encodeRedirect({
    destination: 'https://idp.example.org/sso?tenant=a',
    type: 'SAMLRequest',
    xml,
    relayState: 'r s+t',
  });
}

describe('samlkit decode', () => {
  it('decodes a whole Redirect URL', async () => {
    const r = await run(['decode', await redirectUrl()]);
    expect(r).toMatchObject({ code: 0, stdout: `${xml}\n` });
  });

  it('decodes a query string and a bare deflated value, URL-encoded or not', async () => {
    const url = await redirectUrl();
    const query = url.slice(url.indexOf('SAMLRequest='));
    const encoded = /SAMLRequest=([^&]+)/.exec(url)![1]!;
    for (const input of [query, encoded, decodeURIComponent(encoded)]) {
      const r = await run(['decode', input]);
      expect(r.stdout, input).toBe(`${xml}\n`);
    }
  });

  it('decodes a POST form body and a bare POST value (not deflated)', async () => {
    for (const input of [
      `SAMLResponse=${encodeURIComponent(postValue)}&RelayState=x`,
      postValue,
      encodeURIComponent(postValue),
    ]) {
      const r = await run(['decode', input]);
      expect(r.code, input).toBe(0);
      expect(r.stdout).toBe(`${xml}\n`);
    }
  });

  it('reads standard input with -', async () => {
    const r = await run(['decode', '-'], { stdin: `${await redirectUrl()}\n` });
    expect(r).toMatchObject({ code: 0, stdout: `${xml}\n` });
  });

  it('extracts the value from a rendered POST form', async () => {
    const html = renderPostForm({ action: 'https://sp/acs', type: 'SAMLResponse', xml });
    const body = `SAMLResponse=${encodeURIComponent(/value="([^"]+)"/.exec(html)![1]!)}`;
    expect((await run(['decode', body])).stdout).toBe(`${xml}\n`);
  });

  it('fails with exit 1 and a JSON error for malformed input', async () => {
    const r = await run(['decode', 'SAMLRequest=%%%']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'BINDING_INVALID' });
    const b = await run(['decode', 'not*base64']);
    expect(b.code).toBe(1);
    expect(JSON.parse(b.stdout)).toMatchObject({
      code: 'BASE64_INVALID',
      message: expect.any(String),
    });
  });

  it('refuses a deflate bomb with INFLATE_TOO_LARGE', async () => {
    const big = `<a>${'A'.repeat(400 * 1024)}</a>`;
    const url = await encodeRedirect({
      destination: 'https://idp/x',
      type: 'SAMLRequest',
      xml: big,
    });
    const r = await run(['decode', url]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).code).toBe('INFLATE_TOO_LARGE');
    const ok = await run(['decode', '--max-inflated-bytes', String(1024 * 1024), url]);
    expect(ok.stdout).toBe(`${big}\n`);
  });

  it('exits 2 on usage errors', async () => {
    expect((await run(['decode'])).code).toBe(2);
    expect((await run(['decode', 'a', 'b'])).code).toBe(2);
    expect((await run(['decode', '--nope', 'a'])).code).toBe(2);
    expect((await run(['nonsense'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
    expect((await run(['decode', '--help'])).code).toBe(0);
  });
});
