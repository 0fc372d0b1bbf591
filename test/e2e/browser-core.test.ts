// @samlkit/core in a real browser: the package bundled for the browser and run in Chromium's page
// context validates a signed Response, refuses a tampered one, round-trips a signed HTTP-Redirect
// message through CompressionStream/DecompressionStream, and signs and verifies XML — all on the
// page's own WebCrypto. Nothing Node-specific is available to it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildResponse, generateTestKeys } from '@samlkit/testkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../support/chromium.js';
import { bundle } from '../support/processes.js';
import type { BrowserCoreInput, BrowserCoreOutput } from '../support/runtime/browser-core.js';

const available = chromiumAvailable('browser core (test/e2e/browser-core.test.ts)');

const IDP = 'https://idp.example.org/saml';
const SP = 'https://sp.example.com/saml/metadata';
const ACS = 'https://sp.example.com/saml/acs';

describe.skipIf(!available)('@samlkit/core in Chromium', () => {
  let dir: string;
  let server: Server;
  let browser: Browser;
  let origin = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samlkit-browser-core-'));
    const script = readFileSync(
      await bundle('test/support/runtime/browser-core.ts', join(dir, 'core.js'), {
        format: 'esm',
        platform: 'browser',
      }),
    );
    server = createServer((req, res) => {
      if (req.url === '/core.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      } else {
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(
            '<!doctype html><title>samlkit</title><script type="module" src="/core.js"></script>',
          );
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('validates, refuses tampering, encodes and signs with the browser’s own APIs', async () => {
    const [idp, sp] = await Promise.all([
      generateTestKeys({ subject: 'samlkit browser idp' }),
      generateTestKeys({ subject: 'samlkit browser sp' }),
    ]);
    const now = Date.now();
    const response = await buildResponse({
      idpEntityId: IDP,
      spEntityId: SP,
      acsUrl: ACS,
      now,
      sign: 'assertion',
      signingKey: idp,
      nameId: { value: 'alice@example.com' },
      attributes: [{ name: 'groups', values: ['staff', 'admins'] }],
    });
    const tampered = response.replace('alice@example.com', 'mallory@example.com');
    expect(tampered).not.toBe(response);
    const input: BrowserCoreInput = {
      idpEntityId: IDP,
      spEntityId: SP,
      acsUrl: ACS,
      now,
      idpCertPem: idp.certificatePem,
      spKeyPem: sp.privateKeyPem,
      spCertPem: sp.certificatePem,
      response,
      tampered,
    };
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(origin);
    await page.waitForFunction(() => 'samlkitBrowserCheck' in globalThis);
    const out = await page.evaluate(
      (i) =>
        (
          globalThis as unknown as {
            samlkitBrowserCheck(i: BrowserCoreInput): Promise<BrowserCoreOutput>;
          }
        ).samlkitBrowserCheck(i),
      input,
    );
    await page.close();
    expect(pageErrors).toEqual([]);
    expect(out.userId).toBe('alice@example.com');
    expect(out.attributes['groups']).toEqual(['staff', 'admins']);
    expect(out.tamperedCode).toBe('SIGNATURE_DIGEST_MISMATCH');
    expect(out.redirectRoundTrip).toBe(true);
    expect(out.redirectSignatureAlgorithm).toBe(
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    );
    expect(out.redirectVerifiedWithSpKey).toBe(true);
    expect(out.redirectBadSignatureCode).toMatch(/^SIGNATURE_/);
    expect(out.postSignatureVerified).toBe(true);
    expect(out.signedRequestParsed).toBe('same id');
  });
});
