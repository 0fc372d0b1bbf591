// The demo's federation mode (DESIGN.md "The demo: federation"): a synthetic 15,000-entity signed
// aggregate in which one IdP is a running test IdP; the discovery page in Chromium, searched by
// keyword and domain, an IdP picked there, and a login through it; the DiscoFeed without the
// hidden-from-discovery IdPs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signXml } from '@samlkit/core';
import {
  type BuiltAggregate,
  buildAggregate,
  generateTestKeys,
  type IdpServer,
  startIdpServer,
} from '@samlkit/testkit';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, readForms } from '../support/browser-client.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../support/chromium.js';
import { type DemoProcess, startDemoProcess } from '../support/demo-process.js';

const available = chromiumAvailable('demo federation e2e (test/e2e/demo-federation.test.ts)');

describe.skipIf(!available)('the demo in federation mode (SAML_FEDERATION_METADATA_FILE)', () => {
  let dir: string;
  let idp: IdpServer;
  let aggregate: BuiltAggregate;
  let demo: DemoProcess;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samlkit-demo-federation-'));
    const [fed, idpKeys, c1, c2] = await Promise.all([
      generateTestKeys({ subject: 'test federation' }),
      generateTestKeys({ subject: 'federation test idp' }),
      generateTestKeys({ subject: 'entity 1' }),
      generateTestKeys({ subject: 'entity 2' }),
    ]);
    idp = await startIdpServer({ keys: idpKeys, entityId: 'https://idp.samlkit-test.example/idp' });
    const sso = (binding: string) =>
      idp.config.singleSignOnServices.find((e) => e.binding === binding)?.location;
    aggregate = await buildAggregate({
      entities: 15_000,
      signingKey: fed,
      certificates: [c1.certificatePem, c2.certificatePem],
      now: Date.now(),
      idps: [
        {
          entityId: idp.entityId,
          displayName: 'Samlkit Test University',
          keywords: 'sandbox kitten',
          scope: 'samlkit-test.example',
          signingCertificatePem: idpKeys.certificatePem,
          ssoRedirect: sso('redirect')!,
          ...(sso('post') !== undefined && { ssoPost: sso('post')! }),
        },
      ],
    });
    const file = join(dir, 'aggregate.xml');
    writeFileSync(file, aggregate.xml);
    const cert = join(dir, 'federation.pem');
    writeFileSync(cert, fed.certificatePem);
    demo = await startDemoProcess({
      SAML_FEDERATION_METADATA_FILE: file,
      SAML_FEDERATION_CERT_FILE: cert,
    });
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: { width: 360, height: 740 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 600_000);

  afterAll(async () => {
    await context?.close();
    await demo?.stop();
    await idp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads the 15,000-entity aggregate and says how many IdPs it lists', () => {
    const idps = aggregate.entities.filter((e) => e.role === 'idp');
    const listed = idps.filter((e) => !e.hidden).length;
    expect(aggregate.entities).toHaveLength(15_001);
    expect(demo.output()).toContain(`(${idps.length} IdPs, ${listed} listed for discovery;`);
    expect(demo.output()).toContain(`discovery: ${demo.url}/saml/discovery`);
  });

  it('serves the DiscoFeed without the hidden-from-discovery IdPs', async () => {
    const res = await fetch(`${demo.url}/saml/discofeed`);
    expect(res.status).toBe(200);
    const feed = (await res.json()) as { entityID: string; DisplayNames?: { value: string }[] }[];
    const ids = new Set(feed.map((e) => e.entityID));
    const idps = aggregate.entities.filter((e) => e.role === 'idp');
    expect(ids.size).toBe(idps.filter((e) => !e.hidden).length);
    for (const hidden of idps.filter((e) => e.hidden)) expect(ids.has(hidden.entityId)).toBe(false);
    expect(feed.find((e) => e.entityID === idp.entityId)?.DisplayNames?.[0]?.value).toBe(
      'Samlkit Test University',
    );
  });

  it('shows the discovery page for /profile, finds the IdP by keyword and domain, and logs in through it', async () => {
    await page.goto(`${demo.url}/profile`);
    await page.waitForURL(`${demo.url}/saml/discovery?**`);
    // Usable on a phone: nothing wider than the 360 px viewport.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      360,
    );
    // As-you-type search (the page's script): each step waits for its own answer.
    const search = async (text: string) => {
      const answered = page.waitForResponse(
        (r) =>
          r.url().includes('/saml/discovery?') && new URL(r.url()).searchParams.get('q') === text,
      );
      await page.fill('#disco-q', text);
      await answered;
    };
    const hidden = aggregate.entities.find((e) => e.role === 'idp' && e.hidden)!;
    await search(hidden.displayName);
    expect(await page.locator(`button[value="${hidden.entityId}"]`).count()).toBe(0);
    // By keyword, then by the e-mail domain.
    await search('kitten');
    await expect
      .poll(() => page.textContent('#disco-count'), { timeout: 20_000 })
      .toBe('1 identity provider found.');
    await search('someone@samlkit-test.example');
    await expect
      .poll(() => page.locator('#disco-results button').count(), { timeout: 20_000 })
      .toBe(1);
    const choice = page.locator(`button[value="${idp.entityId}"]`);
    expect(await choice.textContent()).toContain('Samlkit Test University');
    // Keyboard: focus the result and press Enter.
    await choice.focus();
    await Promise.all([page.waitForURL(`${idp.url}/sso?**`), page.keyboard.press('Enter')]);
    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', 'alice');
    await Promise.all([page.waitForURL(`${demo.url}/profile`), page.click('button[type=submit]')]);
    expect(await page.textContent('body')).toContain(idp.entityId);
  }, 180_000);

  it('offers the last choice on the next visit, and works without JavaScript', async () => {
    const noScript = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
    try {
      const ctx = await noScript.newContext({ javaScriptEnabled: false });
      // The last choice: the cookie the first login set, in the first browser.
      await page.goto(`${demo.url}/saml/discovery`);
      expect(await page.textContent('.last')).toContain('Samlkit Test University');
      const p = await ctx.newPage();
      await p.goto(`${demo.url}/saml/login?returnTo=%2Fprofile`);
      await p.fill('#disco-q', 'samlkit-test.example');
      await Promise.all([p.waitForURL(/q=samlkit-test\.example/), p.click('#disco-search button')]);
      expect(await p.textContent('#disco-count')).toBe('1 identity provider found.');
      await Promise.all([
        p.waitForURL(`${idp.url}/sso?**`),
        p.click(`button[value="${idp.entityId}"]`),
      ]);
    } finally {
      await noScript.close();
    }
  }, 180_000);
});

describe('the demo with per-entity lookups (SAML_MDQ_URL)', () => {
  let dir: string;
  let idp: IdpServer;
  let mdq: Server;
  let demo: DemoProcess;
  const asked: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samlkit-demo-mdq-'));
    const [mdqKeys, idpKeys] = await Promise.all([
      generateTestKeys({ subject: 'test mdq service' }),
      generateTestKeys({ subject: 'mdq test idp' }),
    ]);
    idp = await startIdpServer({ keys: idpKeys, entityId: 'https://idp.mdq-test.example/idp' });
    // A local MDQ service (draft-young-md-query §3): GET /entities/{entity ID}, answered with the
    // IdP's metadata signed by the service's key, 404 for anything else.
    const unsigned = (await (await fetch(`${idp.url}/metadata`)).text()).replace(
      '<md:EntityDescriptor ',
      '<md:EntityDescriptor ID="_mdq1" ',
    );
    const signed = await signXml(unsigned, { key: mdqKeys.privateKey });
    mdq = createServer((req, res) => {
      const id = decodeURIComponent((req.url ?? '').replace(/^\/entities\//, ''));
      asked.push(id);
      if (id !== idp.entityId) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(signed);
    });
    await new Promise<void>((resolve) => mdq.listen(0, '127.0.0.1', resolve));
    const address = mdq.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const cert = join(dir, 'mdq.pem');
    writeFileSync(cert, mdqKeys.certificatePem);
    demo = await startDemoProcess({
      SAML_MDQ_URL: `http://127.0.0.1:${port}`,
      SAML_MDQ_CERT_FILE: cert,
    });
  }, 400_000);

  afterAll(async () => {
    await demo?.stop();
    await idp?.stop();
    await new Promise<void>((resolve) => (mdq ? mdq.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in through an IdP looked up at the MDQ service; an entity it does not know is refused', async () => {
    expect(demo.output()).toContain('IdPs looked up per entity at the MDQ service');
    const browser = new BrowserClient();
    const unknown = await browser.go(
      `${demo.url}/saml/login?idp=${encodeURIComponent('https://nobody.example/idp')}`,
    );
    expect(unknown.status).toBe(400);
    expect(asked).toContain('https://nobody.example/idp');
    const login = await browser.go(
      `${demo.url}/saml/login?returnTo=%2Fprofile&idp=${encodeURIComponent(idp.entityId)}`,
    );
    const form = readForms(login).find((f) => f.fields.has('username'));
    expect(form).toBeDefined();
    const profile = await browser.autoPost(
      await browser.submit(form!, { username: 'alice', password: 'alice' }),
    );
    expect(profile.url).toBe(`${demo.url}/profile`);
    expect(profile.body).toContain(idp.entityId);
    expect(asked).toContain(idp.entityId);
  });
});
