import { MemoryStore } from '@samlkit/core';
import { createSamlHandlers } from '@samlkit/fetch';
import { createTestIdp, generateTestKeys } from '@samlkit/testkit';
import { expect, it } from 'vitest';
import { serveFetch } from './node-bridge.js';

// Two servers behind one public URL (no sticky sessions): the login starts on one and the IdP's
// POST lands on the other; with a shared store the second finishes it, with its own it cannot.
it('a login started on one server finishes on another that shares the store', async () => {
  const idp = await createTestIdp();
  const keys = await generateTestKeys({ subject: 'cluster sp' });
  const base = 'https://app.test';
  const options = (store: MemoryStore) => ({
    sp: {
      entityId: `${base}/saml/metadata`,
      assertionConsumerServices: [{ binding: 'post' as const, location: `${base}/saml/acs` }],
      signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
    },
    idps: idp.config,
    baseUrl: base,
    store,
    logger: { warn() {}, error() {} },
  });
  const shared = new MemoryStore();
  const a = await serveFetch(createSamlHandlers(options(shared)).fetch);
  const b = await serveFetch(createSamlHandlers(options(shared)).fetch);
  const alone = await serveFetch(createSamlHandlers(options(new MemoryStore())).fetch);
  try {
    const post = (url: string, form: URLSearchParams) =>
      fetch(url, {
        method: 'POST',
        body: form,
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    const begin = async () => {
      const res = await fetch(`${a.url}/saml/login?returnTo=/home`, { redirect: 'manual' });
      const { request, relayState } = await idp.readAuthnRequest(res.headers.get('location')!);
      const d = await idp.answerLogin(request, relayState);
      if (d.binding !== 'post') throw new Error('expected a POST delivery');
      return { form: d.form, login: res.headers.getSetCookie()[0]!.split(';')[0]! };
    };
    const onAlone = await post(`${alone.url}/saml/acs`, (await begin()).form);
    expect(onAlone.status).toBe(403);
    const started = await begin();
    const onB = await post(`${b.url}/saml/acs`, started.form);
    expect(onB.status).toBe(303);
    // The finish step may land on yet another node: it too reads only the shared store.
    const finish = await fetch(`${a.url}${onB.headers.get('location')}`, {
      redirect: 'manual',
      headers: { cookie: started.login },
    });
    expect(finish.status).toBe(303);
    expect(finish.headers.get('location')).toBe('/home');
    const cookie = finish.headers.getSetCookie()[0]!.split(';')[0]!;
    const handlersOnA = createSamlHandlers(options(shared));
    const session = await handlersOnA.getSession(new Request(`${base}/`, { headers: { cookie } }));
    expect(session?.nameId).toBe('user@example.com');
  } finally {
    await Promise.all([a.stop(), b.stop(), alone.stop()]);
  }
});
