// The cluster proof: two service-provider processes (each with its own memory) behind a
// round-robin load balancer with no stickiness, sharing one real Redis. Every login is started on
// one node and finished on the other; replays are refused by both; an IdP-initiated logout that
// reaches one node ends sessions the other created. The same cluster with per-process
// MemoryStores fails exactly where sticky-session-less clusters fail. Then Redis is stopped and
// restarted under the running nodes.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestIdp, generateTestKeys, type TestIdp, type TestKeys } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, type ListeningProcess, spawnListening } from '../support/processes.js';
import { hasRedisServer, type RedisServer, skipLoudly, startRedis } from '../support/redis.js';
import type { NodeConfig } from '../support/sp-node.js';

const LOGINS = 200;
const skip =
  !hasRedisServer() && skipLoudly('cluster proof (test/e2e/cluster.test.ts)', 'redis-server');

/** A round-robin load balancer on loopback: request n goes to node n mod 2, no affinity. */
class RoundRobin {
  targets: number[] = [];
  /** How many requests it has forwarded (the next goes to node `count mod 2`). */
  count = 0;
  readonly server: Server = createServer((req, res) => {
    const port = this.targets[this.count++ % this.targets.length]!;
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('upstream unreachable');
    });
    req.pipe(upstream);
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

interface Cluster {
  readonly proxy: RoundRobin;
  readonly nodes: readonly ListeningProcess[];
  stop(): Promise<void>;
}

let dir: string;
let script: string;
let idp: TestIdp;
let spKeys: TestKeys;
let redis: RedisServer | undefined;

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'samlkit-cluster-'));
  script = await bundle('test/support/sp-node.ts', join(dir, 'sp-node.cjs'), {
    format: 'cjs',
    platform: 'node',
  });
  idp = await createTestIdp();
  spKeys = await generateTestKeys({ subject: 'samlkit cluster sp' });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startCluster(store: NodeConfig['store']): Promise<Cluster> {
  const proxy = new RoundRobin();
  await proxy.start();
  const nodes: ListeningProcess[] = [];
  try {
    for (const name of ['A', 'B']) {
      const config: NodeConfig = {
        name,
        baseUrl: proxy.url,
        store,
        spKeyPem: spKeys.privateKeyPem,
        spCertPem: spKeys.certificatePem,
        idpEntityId: idp.entityId,
        idpBaseUrl: 'https://idp.test',
        idpCertPem: idp.keys.certificatePem,
      };
      nodes.push(
        await spawnListening(process.execPath, [script], {
          env: { SAMLKIT_NODE_CONFIG: JSON.stringify(config) },
        }),
      );
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    await proxy.stop();
    throw err;
  }
  proxy.targets = nodes.map((n) => n.port);
  return {
    proxy,
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await proxy.stop();
    },
  };
}

const JSON_ACCEPT = { accept: 'application/json' };

function cookieOf(res: Response): string | undefined {
  const line = res.headers.getSetCookie().find((c) => c.startsWith('samlkit_session='));
  return line?.split(';')[0];
}

/** The `name=value` pairs of a response's Set-Cookie headers, as a Cookie header. */
function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
}

/**
 * One login through the load balancer; says which node began it (the AuthnRequest) and which
 * received the IdP's Response. When the ACS answers with its same-site finish step
 * (`/saml/acs?finish=…`), the browser's follow-up GET carries the cookies the login set.
 */
async function login(base: string, user: string, sessionIndex: string) {
  const start = await fetch(`${base}/saml/login?returnTo=/app/protected`, {
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  const browserCookies = cookiesOf(start);
  const begun = start.headers.get('x-samlkit-node');
  if (start.status !== 303) {
    return { begun, finished: null, status: start.status, body: await start.text() } as const;
  }
  const { request, relayState } = await idp.readAuthnRequest(start.headers.get('location')!);
  const delivery = await idp.answerLogin(request, relayState, { nameId: user, sessionIndex });
  if (delivery.binding !== 'post') throw new Error('expected the POST binding');
  const form = delivery.form.toString();
  const acs = await fetch(`${base}/saml/acs`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...JSON_ACCEPT },
    body: form,
    signal: AbortSignal.timeout(10_000),
  });
  let final = acs;
  const next = acs.status === 303 ? acs.headers.get('location') : null;
  if (next && /[?&]finish=/.test(next)) {
    final = await fetch(new URL(next, base), {
      redirect: 'manual',
      headers: { cookie: browserCookies, ...JSON_ACCEPT },
      signal: AbortSignal.timeout(10_000),
    });
  }
  return {
    begun,
    finished: acs.headers.get('x-samlkit-node'),
    status: final.status,
    location: final.headers.get('location'),
    cookie: cookieOf(final),
    body: final.status === 303 ? '' : await final.text(),
    form,
  } as const;
}

async function protectedAt(url: string, cookie: string): Promise<Response> {
  return fetch(`${url}/app/protected`, {
    redirect: 'manual',
    headers: { cookie, ...JSON_ACCEPT },
    signal: AbortSignal.timeout(10_000),
  });
}

describe.skipIf(skip)('cluster proof: two SP processes, round-robin, one Redis', () => {
  let cluster: Cluster;
  const nodeUrl = (i: number) => `http://127.0.0.1:${cluster.nodes[i]!.port}`;
  const signedIn: { user: string; sessionIndex: string; cookie: string; finished: string }[] = [];

  beforeAll(async () => {
    redis = await startRedis({ ignoreEnv: true });
    cluster = await startCluster({ redisUrl: redis.url });
  });

  afterAll(async () => {
    await cluster?.stop();
    await redis?.stop();
  });

  it(`completes ${LOGINS} logins, each begun on one node and finished on the other`, async () => {
    for (let i = 0; i < LOGINS; i++) {
      // Alternate which node begins: one extra request through the balancer when needed.
      if (cluster.proxy.count % 2 !== i % 2) await fetch(`${cluster.proxy.url}/app/public`);
      const user = `user${i}@example.com`;
      const r = await login(cluster.proxy.url, user, `idx-${i}`);
      expect(r.status, r.body).toBe(303);
      expect(r.begun).not.toBeNull();
      expect(r.finished).not.toBe(r.begun); // the Response landed on the other node
      expect(r.location).toBe('/app/protected');
      // Through the load balancer…
      expect((await protectedAt(cluster.proxy.url, r.cookie!)).status).toBe(200);
      // …and on both nodes directly.
      for (const n of [0, 1]) {
        const res = await protectedAt(nodeUrl(n), r.cookie!);
        expect(res.status).toBe(200);
        expect(((await res.json()) as { nameId: string }).nameId).toBe(user);
      }
      // The same Response again, to each node directly: both refuse it.
      for (const n of [0, 1]) {
        const replay = await fetch(`${nodeUrl(n)}/saml/acs`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...JSON_ACCEPT },
          body: r.form!,
        });
        expect(replay.status).toBe(403);
        expect(((await replay.json()) as { error: { code: string } }).error.code).toBe(
          'IN_RESPONSE_TO_MISMATCH',
        );
      }
      signedIn.push({ user, sessionIndex: `idx-${i}`, cookie: r.cookie!, finished: r.finished! });
    }
    expect(signedIn).toHaveLength(LOGINS);
    expect(new Set(signedIn.map((s) => s.finished))).toEqual(new Set(['A', 'B']));
  }, 120_000);

  it('an IdP-initiated LogoutRequest at one node ends sessions the other node created', async () => {
    expect(signedIn.length).toBe(LOGINS);
    const ended = signedIn.filter((_, i) => i % 4 === 0);
    for (const s of ended) {
      const other = s.finished === 'A' ? 1 : 0; // the node that did not create the session
      const message = await idp.logoutRequest({
        spSloUrl: `${cluster.proxy.url}/saml/slo`,
        nameId: s.user,
        sessionIndexes: [s.sessionIndex],
        binding: 'redirect',
      });
      const url = new URL(message.url);
      const res = await fetch(`${nodeUrl(other)}${url.pathname}${url.search}`, {
        redirect: 'manual',
      });
      expect(res.headers.get('x-samlkit-node')).not.toBe(s.finished);
      expect(res.status).toBe(303);
      const answer = await idp.readLogoutResponse(res.headers.get('location')!);
      expect(answer.response.status.success && !answer.response.status.partial).toBe(true);
      for (const n of [0, 1]) expect((await protectedAt(nodeUrl(n), s.cookie)).status).toBe(401);
    }
    // Everyone else is still signed in, on both nodes.
    for (const s of signedIn.filter((_, i) => i % 4 === 1)) {
      for (const n of [0, 1]) expect((await protectedAt(nodeUrl(n), s.cookie)).status).toBe(200);
    }
  }, 60_000);

  it('Redis stopped: logins fail fast with 503 STORE_UNAVAILABLE, no node crashes; Redis back: logins work again', async () => {
    const port = redis!.port;
    await redis!.stop();
    redis = undefined;
    for (let i = 0; i < 6; i++) {
      // Bounded by the request's own timeout: a hanging node would fail this, not slow it.
      const res = await fetch(`${cluster.proxy.url}/saml/login`, {
        redirect: 'manual',
        headers: JSON_ACCEPT,
        signal: AbortSignal.timeout(5000),
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'STORE_UNAVAILABLE',
      );
    }
    const guarded = await protectedAt(cluster.proxy.url, signedIn[1]!.cookie);
    expect(guarded.status).toBe(503);
    for (const node of cluster.nodes) {
      expect(node.alive()).toBe(true);
      const pub = await fetch(`http://127.0.0.1:${node.port}/app/public`);
      expect(pub.status).toBe(200);
    }

    redis = await startRedis({ port, ignoreEnv: true });
    // The stores reconnect by themselves (back-off up to 1 s): wait for the first success.
    let first: Awaited<ReturnType<typeof login>> | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      first = await login(cluster.proxy.url, 'back@example.com', 'idx-back');
      if (first.status === 303) break;
      expect(first.status).toBe(503);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(first!.status).toBe(303);
    for (let i = 0; i < 10; i++) {
      const r = await login(cluster.proxy.url, `again${i}@example.com`, `idx-again-${i}`);
      expect(r.status, r.body).toBe(303);
      expect(r.finished).not.toBe(r.begun);
    }
    for (const node of cluster.nodes) expect(node.alive()).toBe(true);
  }, 60_000);

  it('Redis paused (SIGSTOP) mid-login: 503 STORE_UNAVAILABLE within the command timeout; resumed (SIGCONT): logins work again without a restart', async () => {
    const start = await fetch(`${cluster.proxy.url}/saml/login`, { redirect: 'manual' });
    expect(start.status).toBe(303);
    const { request, relayState } = await idp.readAuthnRequest(start.headers.get('location')!);
    const delivery = await idp.answerLogin(request, relayState, { nameId: 'paused@example.com' });
    if (delivery.binding !== 'post') throw new Error('expected the POST binding');
    redis!.signal('SIGSTOP');
    try {
      for (const n of [0, 1]) {
        // The nodes' command timeout is 1 s; a node waiting on the paused Redis any longer than
        // the request's own 5 s limit fails here.
        const res = await fetch(`${nodeUrl(n)}/saml/acs`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...JSON_ACCEPT },
          body: delivery.form.toString(),
          signal: AbortSignal.timeout(5000),
        });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
          'STORE_UNAVAILABLE',
        );
      }
    } finally {
      redis!.signal('SIGCONT');
    }
    let back: Awaited<ReturnType<typeof login>> | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      back = await login(cluster.proxy.url, 'resumed@example.com', 'idx-resumed');
      if (back.status === 303) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(back!.status, back!.body).toBe(303);
    expect((await protectedAt(cluster.proxy.url, back!.cookie!)).status).toBe(200);
    for (const node of cluster.nodes) expect(node.alive()).toBe(true);
  }, 60_000);

  it('Redis flushed (FLUSHALL) between login start and finish: a clean refusal with a code, not a 500', async () => {
    const flush = () =>
      new Promise<void>((resolve, reject) =>
        execFile('redis-cli', ['-p', String(redis!.port), 'FLUSHALL'], (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    // Flushed after the AuthnRequest, before the IdP's Response arrives.
    const start = await fetch(`${cluster.proxy.url}/saml/login`, { redirect: 'manual' });
    expect(start.status).toBe(303);
    const first = await idp.readAuthnRequest(start.headers.get('location')!);
    const answer = await idp.answerLogin(first.request, first.relayState, {
      nameId: 'flushed@example.com',
    });
    if (answer.binding !== 'post') throw new Error('expected the POST binding');
    await flush();
    const acs = await fetch(`${cluster.proxy.url}/saml/acs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...JSON_ACCEPT },
      body: answer.form.toString(),
    });
    expect(acs.status).toBeGreaterThanOrEqual(400);
    expect(acs.status).toBeLessThan(500);
    expect(((await acs.json()) as { error: { code: string } }).error.code).toBe(
      'IN_RESPONSE_TO_MISMATCH',
    );

    // Flushed after the ACS, before the browser's same-site finish step.
    const again = await fetch(`${cluster.proxy.url}/saml/login`, { redirect: 'manual' });
    const browserCookies = cookiesOf(again);
    const second = await idp.readAuthnRequest(again.headers.get('location')!);
    const delivery = await idp.answerLogin(second.request, second.relayState, {
      nameId: 'flushed@example.com',
    });
    if (delivery.binding !== 'post') throw new Error('expected the POST binding');
    const parked = await fetch(`${cluster.proxy.url}/saml/acs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...JSON_ACCEPT },
      body: delivery.form.toString(),
    });
    expect(parked.status).toBe(303);
    const next = parked.headers.get('location')!;
    expect(next).toMatch(/[?&]finish=/);
    await flush();
    const finish = await fetch(new URL(next, cluster.proxy.url), {
      redirect: 'manual',
      headers: { cookie: browserCookies, ...JSON_ACCEPT },
    });
    expect(finish.status).toBeGreaterThanOrEqual(400);
    expect(finish.status).toBeLessThan(500);
    const code = ((await finish.json()) as { error: { code: string } }).error.code;
    expect(code).toMatch(/^[A-Z_]+$/);
    expect(cookieOf(finish) ?? '').not.toMatch(/^samlkit_session=[^;]/);
    for (const node of cluster.nodes) expect(node.alive()).toBe(true);
  }, 60_000);
});

describe.skipIf(skip)('the same cluster with a MemoryStore per process', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster('memory');
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('fails every login whose Response lands on the other node: IN_RESPONSE_TO_MISMATCH', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await login(cluster.proxy.url, `mem${i}@example.com`, `idx-mem-${i}`);
      expect(r.finished).not.toBe(r.begun);
      expect(r.status).toBe(403);
      expect((JSON.parse(r.body) as { error: { code: string } }).error.code).toBe(
        'IN_RESPONSE_TO_MISMATCH',
      );
    }
  }, 60_000);
});
