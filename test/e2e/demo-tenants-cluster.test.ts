// Two demo processes in tenant mode (SAML_TENANTS_FILE) sharing one Redis and one public base URL,
// as two nodes of a cluster behind a load balancer: a tenant added to the file is served by both
// nodes and a login begun on one finishes on the other; a tenant's IdP replaced in the file is
// refused by both; a tenant removed is refused by both, also with a Response its IdP issued
// before the removal.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTestKeys, type IdpServer, startIdpServer } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, type HtmlForm, readForms } from '../support/browser-client.js';
import { type DemoProcess, freePort, startDemoProcess } from '../support/demo-process.js';
import { hasRedisServer, type RedisServer, skipLoudly, startRedis } from '../support/redis.js';

const skip =
  !hasRedisServer() &&
  skipLoudly('demo tenants on two nodes (test/e2e/demo-tenants-cluster.test.ts)', 'redis-server');

describe.skipIf(skip)('the demo with tenants on two nodes sharing Redis', () => {
  let redis: RedisServer;
  let idpOne: IdpServer;
  let idpTwo: IdpServer;
  const nodes: DemoProcess[] = [];
  /** Each node's own address; both serve the shared public base URL `base`. */
  const nodeUrls: string[] = [];
  let base = '';
  let dir = '';
  let file = '';
  let stamp = Date.now() / 1000;

  function writeTenants(list: readonly Record<string, unknown>[]): void {
    writeFileSync(file, JSON.stringify(list));
    // A distinct modification time for every write, however fast the writes follow each other.
    stamp += 10;
    utimesSync(file, stamp, stamp);
  }

  /** The same URL on node `n` (the public base URL replaced by the node's own address). */
  function on(n: number, href: string): string {
    return new URL(href, base).href.replace(base, nodeUrls[n]!);
  }

  /** Polls node `n` until `path` answers `status` (each node reads the file again on its own). */
  async function waitFor(n: number, path: string, status: number): Promise<void> {
    let last = 0;
    for (let i = 0; i < 60 && last !== status; i++) {
      last = (await fetch(on(n, path), { redirect: 'manual' })).status;
      if (last !== status) await new Promise((r) => setTimeout(r, 250));
    }
    expect(last, `${path} on node ${n}`).toBe(status);
  }

  /**
   * Starts a login for `tenant` on node `start` and signs in at the IdP; returns the IdP's
   * auto-posting Response form (aimed at the public ACS URL) without submitting it.
   */
  async function responseFor(browser: BrowserClient, tenant: string, start: number) {
    const begin = await browser.request(
      on(start, `/t/${tenant}/saml/login?returnTo=${encodeURIComponent(`/t/${tenant}/profile`)}`),
    );
    expect(begin.status).toBe(303);
    const loginPage = await browser.go(begin.headers.get('location')!);
    const form = readForms(loginPage).find((f) => f.fields.has('username'));
    expect(form, loginPage.body).toBeDefined();
    const answer = await browser.submit(form!, { username: 'alice', password: 'alice' });
    const post = readForms(answer).find((f) => f.fields.has('SAMLResponse'));
    expect(post?.action).toBe(`${base}/t/${tenant}/saml/acs`);
    return post!;
  }

  /** Posts the Response to node `acs`, then follows the finish step and the landing on it. */
  async function finishOn(browser: BrowserClient, post: HtmlForm, acs: number) {
    const answered = await browser.request(on(acs, post.action), {
      method: 'POST',
      form: post.fields,
    });
    if (answered.status !== 303) return answered;
    return browser.go(on(acs, answered.headers.get('location')!));
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samlkit-demo-tenants-cluster-'));
    file = join(dir, 'tenants.json');
    // One SP key pair for both nodes, as a cluster shares its configuration.
    const keys = await generateTestKeys({ subject: 'demo cluster' });
    writeFileSync(join(dir, 'sp-key.pem'), keys.privateKeyPem);
    writeFileSync(join(dir, 'sp-cert.pem'), keys.certificatePem);
    [redis, idpOne, idpTwo] = await Promise.all([
      startRedis({ ignoreEnv: true }),
      startIdpServer({ entityId: 'https://one.idp.cluster.test' }),
      startIdpServer({ entityId: 'https://two.idp.cluster.test' }),
    ]);
    writeTenants([{ id: 'acme', idpMetadataUrl: `${idpOne.url}/metadata` }]);
    const ports = [await freePort(), await freePort()];
    // The public address a load balancer would have; the test addresses each node directly.
    base = `http://localhost:${await freePort()}`;
    for (const port of ports) nodeUrls.push(`http://localhost:${port}`);
    const started = await Promise.all(
      ports.map((port) =>
        startDemoProcess({
          PORT: String(port),
          SAML_TENANTS_FILE: file,
          REDIS_URL: redis.url,
          SAML_BASE_URL: base,
          SAML_SP_KEY_FILE: join(dir, 'sp-key.pem'),
          SAML_SP_CERT_FILE: join(dir, 'sp-cert.pem'),
        }),
      ),
    );
    nodes.push(...started);
  }, 400_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all([idpOne?.stop(), idpTwo?.stop(), redis?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a tenant added to the file is served by both nodes; logins cross from one node to the other', async () => {
    for (const n of [0, 1]) await waitFor(n, '/t/initech/saml/metadata', 404);
    writeTenants([
      { id: 'acme', idpMetadataUrl: `${idpOne.url}/metadata` },
      { id: 'initech', idpMetadataUrl: `${idpTwo.url}/metadata` },
    ]);
    for (const n of [0, 1]) await waitFor(n, '/t/initech/saml/metadata', 200);
    for (const [start, acs] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const browser = new BrowserClient();
      const post = await responseFor(browser, 'initech', start);
      const profile = await finishOn(browser, post, acs);
      expect(profile.status, profile.body).toBe(200);
      expect(profile.url).toBe(on(acs, '/t/initech/profile'));
      expect(profile.body).toContain('alice@example.com');
      // The session lives in Redis: the other node knows it too.
      const other = await browser.request(on(start, '/t/initech/profile'));
      expect(other.status).toBe(200);
      expect(other.body).toContain('https://two.idp.cluster.test');
    }
  });

  it('an IdP replaced in the file is refused by both nodes, also for a login begun before', async () => {
    const browser = new BrowserClient();
    const before = await responseFor(browser, 'acme', 0);
    writeTenants([
      { id: 'acme', idpMetadataUrl: `${idpTwo.url}/metadata` },
      { id: 'initech', idpMetadataUrl: `${idpTwo.url}/metadata` },
    ]);
    // Both nodes now send acme's logins to the new IdP.
    for (const n of [0, 1]) {
      let location = '';
      for (let i = 0; i < 60 && !location.startsWith(idpTwo.url); i++) {
        await new Promise((r) => setTimeout(r, 250));
        const r = await fetch(on(n, '/t/acme/saml/login'), { redirect: 'manual' });
        location = r.headers.get('location') ?? '';
      }
      expect(location.startsWith(idpTwo.url), `node ${n}`).toBe(true);
    }
    // The old IdP's Response is refused at either node: it is no longer acme's IdP.
    for (const n of [0, 1]) {
      const refused = await browser.request(on(n, before.action), {
        method: 'POST',
        form: before.fields,
      });
      expect(refused.status, `node ${n}`).toBe(400);
      expect(/<code>([A-Z_]+)<\/code>/.exec(refused.body)?.[1]).toBe('IDP_UNKNOWN');
    }
  });

  it('a tenant removed from the file is refused by both nodes, also with a Response issued before', async () => {
    const browser = new BrowserClient();
    const before = await responseFor(browser, 'initech', 1);
    writeTenants([{ id: 'acme', idpMetadataUrl: `${idpTwo.url}/metadata` }]);
    for (const n of [0, 1]) {
      await waitFor(n, '/t/initech/saml/metadata', 404);
      expect((await fetch(on(n, '/t/initech/saml/login'), { redirect: 'manual' })).status).toBe(
        404,
      );
      const refused = await browser.request(on(n, before.action), {
        method: 'POST',
        form: before.fields,
      });
      expect(refused.status, `node ${n}`).toBe(404);
    }
    // The tenant that stays is untouched on both nodes.
    for (const n of [0, 1]) await waitFor(n, '/t/acme/saml/metadata', 200);
  });
});
