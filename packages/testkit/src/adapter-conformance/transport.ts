import {
  type AddCase,
  CONFORMANCE_SP_BASE,
  check,
  checkContentType,
  followFinish,
  location,
  withApp,
} from './harness.js';

/** Transport: metadata, malformed input and methods, and which request headers count. */
export function transportCases(add: AddCase): void {
  add('metadata is served as SAML metadata with the SP entity ID', (h) =>
    withApp(h, {}, async ({ browser }) => {
      const res = await browser.send('GET', '/saml/metadata');
      check(res.status === 200, 'metadata status', 200, res.status);
      checkContentType(res, 'application/samlmetadata+xml', 'metadata content type');
      const xml = await res.text();
      check(
        xml.includes(`entityID="${CONFORMANCE_SP_BASE}/saml/metadata"`),
        'metadata entityID',
        'the SP entity ID',
        xml.slice(0, 200),
      );
    }),
  );

  add('malformed input gets a 400 page, or JSON when asked, and unknown methods 405', (h) =>
    withApp(h, {}, async ({ browser }) => {
      const form = new URLSearchParams({ SAMLResponse: '%%%not base64<script>' });
      const res = await browser.send('POST', '/saml/acs', { body: form });
      check(res.status === 400, 'status for garbage', 400, res.status);
      checkContentType(res, 'text/html', 'content type');
      const html = await res.text();
      check(!html.includes('<script>'), 'error page escaping', 'no raw input', html.slice(0, 300));
      const api = await browser.send('POST', '/saml/acs', {
        body: form,
        headers: { accept: 'application/json' },
      });
      check(api.status === 400, 'JSON status', 400, api.status);
      const json = (await api.json()) as { error?: { code?: string } };
      check(
        json.error?.code === 'BASE64_INVALID',
        'JSON error code',
        'BASE64_INVALID',
        json.error?.code,
      );
      const put = await browser.send('PUT', '/saml/acs', { body: 'x' });
      check(put.status === 405, 'PUT /saml/acs', 405, put.status);
      const missing = await browser.send('GET', '/saml/nothing-here');
      check(missing.status === 404, 'unknown SAML path', 404, missing.status);
    }),
  );

  add('Host and X-Forwarded-* headers are ignored unless trustProxy is set', (h) =>
    withApp(h, {}, async (env) => {
      const forged = {
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
      };
      const start = await env.browser.send('GET', '/saml/login?returnTo=/app/protected', {
        headers: forged,
      });
      check(start.status === 303, 'login status', 303, start.status);
      const { request, relayState } = await env.idp.readAuthnRequest(location(start));
      check(
        request.assertionConsumerServiceUrl === `${CONFORMANCE_SP_BASE}/saml/acs`,
        'ACS URL with forged headers',
        `${CONFORMANCE_SP_BASE}/saml/acs`,
        request.assertionConsumerServiceUrl,
      );
      const delivery = await env.idp.answerLogin(request, relayState);
      if (delivery.binding !== 'post') throw new Error('expected the POST binding');
      const res = await followFinish(
        env.browser,
        await env.browser.send('POST', delivery.url, {
          body: delivery.form,
          headers: forged,
          cookies: false,
        }),
        forged,
      );
      check(res.status === 303, 'ACS status with forged headers', 303, res.status);
      check(
        location(res) === '/app/protected',
        'ACS Location with forged headers',
        '/app/protected',
        location(res),
      );
      const guarded = await env.newBrowser().send('GET', '/app/protected?x=1', { headers: forged });
      const to = location(guarded);
      check(
        to.startsWith('/saml/login?'),
        'protected-route redirect with forged headers',
        'a same-origin path',
        to,
      );
    }),
  );
}
