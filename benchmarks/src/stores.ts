// Store figures an operator sizes a deployment with: the memory store's heap per live entry and
// after many logins whose entries expired, and the Redis store ending 10 000 sessions of one
// user. Values are read out of parsed XML with samlkit's own parser, as the validator reads them
// (so they are views into the decoded message, which a store must not keep alive).
// Usage: node --expose-gc --import tsx src/stores.ts [--smoke] [--out results/latest.json]
// Merges `memoryStore` and `redisLogout` into the output file (the other keys stay as they are).

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { MemoryStore, type SessionRecord } from '@samlkit/core';
import { RedisStore } from '@samlkit/redis';
import { parseXml } from '../../packages/core/src/lib/xml.js';
import { freePort, startRedis } from './redis-hook.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heap(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const ISSUER = 'https://idp.bench.example/metadata';
const HOUR = 60 * 60_000;

/** A Response-sized document (~5 KiB) and the values a validator keeps from it. */
function login(i: number) {
  const id = `_a${i.toString(16).padStart(8, '0')}${'0'.repeat(32)}`;
  const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${i}"><saml:Issuer>${ISSUER}</saml:Issuer><saml:Assertion ID="${id}"><saml:Issuer>${ISSUER}</saml:Issuer><saml:Subject><saml:NameID>user${i}@example.com</saml:NameID></saml:Subject><saml:AuthnStatement SessionIndex="_s${i}"/><saml:AttributeStatement>${'<saml:Attribute Name="x"><saml:AttributeValue>vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv</saml:AttributeValue></saml:Attribute>'.repeat(40)}</saml:AttributeStatement></saml:Assertion></samlp:Response>`;
  const doc = parseXml(xml);
  const a = doc.getElementsByTagName('saml:Assertion')[0]!;
  return {
    assertionId: a.getAttribute('ID')!,
    issuer: doc.getElementsByTagName('saml:Issuer')[0]!.textContent!,
    nameId: doc.getElementsByTagName('saml:NameID')[0]!.textContent!,
    sessionIndex: doc.getElementsByTagName('saml:AuthnStatement')[0]!.getAttribute('SessionIndex')!,
    bytes: xml.length,
  };
}

async function memoryFigures(logins: number) {
  let now = Date.UTC(2026, 0, 1);
  const store = new MemoryStore({ now: () => now, maxEntries: 1_000_000 });
  // Warm up the code paths, then start from a clean store.
  for (let i = 0; i < 100; i++) await store.rememberOnce(`warm-${i}`, now + 1);
  now += 2;
  await store.getValue('sweep');
  const start = heap();
  let bytes = 0;
  const ids: string[] = [];
  for (let i = 0; i < logins; i++) {
    const v = login(i);
    bytes = v.bytes;
    await store.rememberOnce(`assertion:${v.issuer}:${v.assertionId}`, now + 5 * 60_000);
    const session: SessionRecord = {
      id: `sess-${i}`,
      issuer: v.issuer,
      nameId: v.nameId,
      sessionIndex: v.sessionIndex,
      attributes: {},
      createdAt: now,
      expiresAt: now + HOUR,
    };
    await store.putSession(session);
    ids.push(session.id);
  }
  const live = heap();
  const entries = store.size;
  // Logouts (IdP-initiated: a replay key for the LogoutRequest, the session ended), once the
  // login's replay entries have expired.
  now += 10 * 60_000;
  for (let i = 0; i < logins; i++) {
    await store.rememberOnce(`logout-request:${ISSUER}:_l${i}`, now + 60_000);
    await store.endSessions({ issuer: ISSUER, nameId: `user${i}@example.com` });
  }
  now += 2 * 60_000;
  // The sweep goes on with ordinary traffic: a few operations per entry left.
  for (let i = 0; i < logins; i++) await store.getValue('metadata');
  const after = heap();
  return {
    logins,
    message_bytes: bytes,
    entries_live: entries,
    heap_per_live_entry_bytes: Math.round((live - start) / entries),
    heap_per_login_bytes: Math.round((live - start) / logins),
    entries_after_logouts: store.size,
    heap_start_mb: +(start / 2 ** 20).toFixed(2),
    heap_live_mb: +(live / 2 ** 20).toFixed(2),
    heap_after_logouts_mb: +(after / 2 ** 20).toFixed(2),
    heap_after_vs_start_pct: +(((after - start) / start) * 100).toFixed(1),
    description:
      'replay key + session per login (values read from a ~5 KiB parsed document), then an ' +
      'IdP-initiated logout each after the replay entries expired, then ordinary reads; heap ' +
      '(used + external) after gc',
  };
}

/** redis-server's CPU time so far (user + system), in ms, read with INFO. */
function redisCpuMs(port: number): number {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'cpu'], { encoding: 'utf8' });
  const read = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? Number.NaN);
  return (read('used_cpu_user') + read('used_cpu_sys')) * 1000;
}

async function redisFigures(sessions: number) {
  const port = await freePort();
  const server = await startRedis(port);
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'bench:' });
  // The fixture is written through a patient store: a loaded machine must not fail the set-up.
  const writer = new RedisStore({
    url: `redis://127.0.0.1:${port}`,
    keyPrefix: 'bench:',
    commandTimeoutMs: 60_000,
  });
  try {
    const now = Date.now();
    const all = Array.from({ length: sessions }, (_, i) => ({
      id: `s-${i}`,
      issuer: ISSUER,
      nameId: 'alice',
      sessionIndex: `_s${i}`,
      attributes: { mail: ['alice@example.com'] },
      createdAt: now,
      expiresAt: now + HOUR,
    }));
    for (let i = 0; i < all.length; i += 500) {
      await Promise.all(all.slice(i, i + 500).map((s) => writer.putSession(s)));
    }
    // What a logout without endSessions does first: one findSessions (one HMGET per session,
    // within one commandTimeoutMs).
    const t0 = performance.now();
    const found = await store.findSessions({ issuer: ISSUER, nameId: 'alice' }).then(
      (list) => list.length,
      (err: Error) =>
        `failed: ${err.message.split('.')[0]} (${(err as { details?: { found?: string } }).details?.found})`,
    );
    const findMs = performance.now() - t0;
    // Let the event loop settle after the fixture's writes before timing.
    await new Promise((r) => setTimeout(r, 200));
    const cpu0 = process.cpuUsage();
    const redisCpu0 = redisCpuMs(port);
    const t1 = performance.now();
    const r = await store.endSessions({ issuer: ISSUER, nameId: 'alice' });
    const endMs = performance.now() - t1;
    const cpu = process.cpuUsage(cpu0);
    const redisCpu = redisCpuMs(port) - redisCpu0;
    return {
      sessions,
      find_sessions_alone: found,
      find_sessions_ms: Math.round(findMs),
      end_all_ms: Math.round(endMs),
      // CPU spent on it, which a loaded machine does not inflate the way it does wall time.
      node_cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
      redis_cpu_ms: Math.round(redisCpu),
      load_average_1m: +loadavg()[0]!.toFixed(2),
      ended: r.ended.length,
      failed: r.failed,
      target_ms: 1000,
      met: endMs < 1000 && r.ended.length === sessions && r.failed === 0,
      description:
        'RedisStore.endSessions on a local redis-server: every session of one user ended (one ' +
        'index read, then one script call per chunk of 2 000 sessions); wall time, and ' +
        'the CPU time of this process and of redis-server during it',
    };
  } finally {
    await store.close();
    await writer.close();
    server.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const outAt = process.argv.indexOf('--out');
  const out =
    outAt > 0
      ? process.argv[outAt + 1]!
      : new URL(smoke ? '../results/tmp/stores.json' : '../results/latest.json', import.meta.url)
          .pathname;
  // Redis first: its timing should not pay for the collections of the memory figures' heap.
  const redisLogout = await redisFigures(smoke ? 500 : 10_000);
  const memoryStore = await memoryFigures(smoke ? 500 : 10_000);
  const current = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {};
  writeFileSync(out, `${JSON.stringify({ ...current, memoryStore, redisLogout }, null, 2)}\n`);
  console.log(JSON.stringify({ memoryStore, redisLogout }, null, 2));
}

await main();
