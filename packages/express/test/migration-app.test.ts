// The guide's application without Passport (migration-app.ts), through login and logout.
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '@samlkit/core';
import { createTestIdp, generateTestKeys, type TestIdp } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrationApp } from './migration-app.js';

let idp: TestIdp;
let url: string;
let close: () => Promise<void>;
const store = new MemoryStore();
const BASE = 'http://localhost';

beforeAll(async () => {
  idp = await createTestIdp();
  const sp = await generateTestKeys({ subject: 'migration sp' });
  const app = createMigrationApp({
    baseUrl: BASE,
    idpSsoUrl: 'https://idp.test/sso',
    idpSloUrl: 'https://idp.test/slo',
    idpEntityId: idp.entityId,
    idpCertPem: idp.keys.certificatePem,
    spKeyPem: sp.privateKeyPem,
    spCertPem: sp.certificatePem,
    store,
    findUser: (profile) =>
      profile.userId === 'mallory@example.com' ? undefined : { id: profile.userId },
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
});

afterAll(() => close());

const jar = new Map<string, string>();
const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
function take(res: Response): void {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    const value = pair!.slice(eq + 1);
    if (value === '' || /max-age=0/i.test(line)) jar.delete(pair!.slice(0, eq));
    else jar.set(pair!.slice(0, eq), value);
  }
}
async function get(path: string): Promise<Response> {
  const res = await fetch(new URL(path, url), {
    redirect: 'manual',
    headers: { cookie: cookie() },
  });
  take(res);
  return res;
}

describe('the migration guide without Passport', () => {
  it('signs in at the old callback path, serves req.samlSession, and logs out', async () => {
    const account = await get('/account');
    expect(account.status).toBe(303);
    expect(account.headers.get('location')).toBe('/login?returnTo=%2Faccount');
    const begin = await get(account.headers.get('location')!);
    const { request, relayState } = await idp.readAuthnRequest(begin.headers.get('location')!);
    expect(request.assertionConsumerServiceUrl).toBe(`${BASE}/login/callback`);
    const delivery = await idp.answerLogin(request, relayState, { nameId: 'alice@example.com' });
    if (delivery.binding !== 'post') throw new Error('expected POST');
    const acs = await fetch(`${url}/login/callback`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: delivery.form.toString(),
    });
    const finish = await get(acs.headers.get('location')!);
    expect(finish.headers.get('location')).toBe('/account');
    const me = await get('/account');
    expect(await me.json()).toEqual({ id: 'alice@example.com' });
    const out = await get('/logout');
    expect(out.headers.get('location')).toMatch(/^https:\/\/idp\.test\/slo\?SAMLRequest=/);
    expect((await get('/account')).status).toBe(303);
  });
});
