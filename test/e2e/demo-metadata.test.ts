// The demo with a metadata URL whose server this test controls: when the IdP seems to have rolled
// its key and the metadata server then hangs, the login is answered after the bounded wait while
// the server still holds the refresh open, and the demo logs every failure of the refresh.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIdp, generateTestKeys, type IdpServer, startIdpServer } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient } from '../support/browser-client.js';
import { type DemoProcess, freePort, startDemoProcess } from '../support/demo-process.js';

/** Resolves once `check` holds, looking again whenever the demo may have printed more. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('the demo and a metadata server that fails', () => {
  let idpServer: IdpServer;
  let metadataServer: Server;
  let metadataXml = '';
  let mode: 'serve' | 'hang' = 'serve';
  const held: ServerResponse[] = [];
  let requests = 0;
  let demo: DemoProcess;

  beforeAll(async () => {
    const port = await freePort();
    const demoUrl = `http://localhost:${port}`;
    idpServer = await startIdpServer({
      serviceProviders: [
        {
          entityId: `${demoUrl}/saml/metadata`,
          acsUrls: [`${demoUrl}/saml/acs`],
          sloUrl: `${demoUrl}/saml/slo`,
        },
      ],
    });
    metadataXml = await (await fetch(`${idpServer.url}/metadata`)).text();
    metadataServer = createServer((_req, res) => {
      requests++;
      if (mode === 'hang') return void held.push(res);
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
      res.end(metadataXml);
    });
    await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
    const metadataUrl = `http://127.0.0.1:${(metadataServer.address() as AddressInfo).port}/metadata`;
    demo = await startDemoProcess({ PORT: String(port), SAML_IDP_METADATA_URL: metadataUrl });
  }, 400_000);

  afterAll(async () => {
    await demo?.stop();
    metadataServer?.closeAllConnections();
    await new Promise<void>((resolve) => metadataServer?.close(() => resolve()));
    await idpServer?.stop();
  });

  it('answers the login while the refresh hangs, and logs the wait and the failed refresh', async () => {
    expect(demo.output()).toContain(`samlkit metadata: metadata-updated url=`);
    expect(requests).toBe(1);
    mode = 'hang';
    // Downloads start at most once per 5 s (the default refresh.rateLimit), counted from the
    // initial download, which came before the demo printed its URL: let that window pass.
    await new Promise((resolve) => setTimeout(resolve, 5500));

    // A Response signed by a key the metadata does not list: the demo refreshes its metadata.
    const browser = new BrowserClient();
    const start = await browser.request(`${demo.url}/saml/login?returnTo=%2Fprofile`);
    const rolled = await createTestIdp({
      entityId: idpServer.entityId,
      keys: await generateTestKeys({ subject: 'not in the metadata' }),
    });
    const { request, relayState } = await rolled.readAuthnRequest(start.headers.get('location')!);
    const delivery = await rolled.answerLogin(request, relayState);
    if (delivery.binding !== 'post') throw new Error('expected the POST binding');
    const answer = await browser.go(delivery.url, { method: 'POST', form: delivery.form });

    // The login is refused while the metadata server still holds the refresh open.
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('SIGNATURE_');
    expect(requests).toBe(2);
    expect(held).toHaveLength(1);
    await until(() => demo.output().includes('samlkit metadata: metadata-wait-exceeded'));
    expect(demo.output()).toMatch(/metadata-wait-exceeded url=\S+ reason=signature waitedMs=2000/);

    // The server gives up with an error: the demo logs the failed refresh.
    for (const res of held.splice(0)) {
      res.writeHead(500);
      res.end('oops');
    }
    await until(() => demo.output().includes('samlkit metadata: metadata-refresh-failed'));
    expect(demo.output()).toMatch(
      /metadata-refresh-failed url=\S+ reason=signature code=METADATA_FETCH_FAILED .*last good copy stays/,
    );
  });
});
