// The Fetch adapter in real non-Node runtimes: workerd (through Miniflare), Deno and Bun each host
// the SP (@samlkit/fetch over @samlkit/core, bundled with esbuild), and this Node process plays the
// IdP with the testkit (it builds and signs the Responses) and the browser (it carries them).
// A runtime whose binary is not available is skipped with a loud notice, never silently.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPublicKey } from '@samlkit/core';
import { verifyElementSignature } from '@samlkit/core/xml';
import {
  CookieJar,
  createTestIdp,
  generateTestKeys,
  type TestIdp,
  type TestKeys,
} from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml } from '../../packages/core/src/lib/xml.js';
import { bundle, type ListeningProcess, spawnListening } from '../support/processes.js';
import { freePort } from '../support/redis.js';
import type { RuntimeSpConfig } from '../support/runtime/app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function skipLoudly(runtime: string, why: string): true {
  const line = '!'.repeat(78);
  const message = `runtime e2e (test/e2e/runtimes.test.ts): ${runtime} SKIPPED because ${why}`;
  if (process.env.CI) throw new Error(`${message}; CI must not skip it`);
  console.warn(`\n${line}\n${message}\n${line}\n`);
  return true;
}

function runs(binary: string): boolean {
  return existsSync(binary) && spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The deno binary from the `deno` npm package (its platform package ships the executable). */
function denoBinary(): string | undefined {
  const candidate = join(ROOT, 'node_modules/.bin/deno');
  return runs(candidate) ? candidate : undefined;
}

/**
 * The bun binary. npm and pnpm install it as a platform package; the `bun` package's own
 * `bin/bun.exe` is a placeholder that its (skipped) postinstall script would replace.
 */
function bunBinary(): string | undefined {
  const store = join(ROOT, 'node_modules/.pnpm');
  const manifest = join(ROOT, 'node_modules/bun/package.json');
  if (!existsSync(manifest)) return undefined;
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  // The plain build, then baseline (no AVX2), then musl — of the version the root depends on.
  for (const flavour of ['x64', 'x64-baseline', 'x64-musl', 'aarch64']) {
    const candidate = join(
      store,
      `@oven+bun-linux-${flavour}@${version}`,
      `node_modules/@oven/bun-linux-${flavour}/bin/bun`,
    );
    if (runs(candidate)) return candidate;
  }
  return undefined;
}

async function miniflareModule(): Promise<typeof import('miniflare') | undefined> {
  try {
    return await import('miniflare');
  } catch {
    return undefined;
  }
}

let dir: string;
let idp: TestIdp;
let spKeys: TestKeys;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samlkit-runtimes-'));
  idp = await createTestIdp();
  spKeys = await generateTestKeys({ subject: 'samlkit runtime sp' });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function bundleFor(runtime: string, entry: string, port: number): Promise<string> {
  const config: RuntimeSpConfig = {
    baseUrl: `http://127.0.0.1:${port}`,
    spKeyPem: spKeys.privateKeyPem,
    spCertPem: spKeys.certificatePem,
    idpEntityId: idp.entityId,
    idpBaseUrl: 'https://idp.test',
    idpCertPem: idp.keys.certificatePem,
  };
  return bundle(entry, join(dir, `${runtime}.mjs`), {
    format: 'esm',
    platform: 'neutral',
    define: {
      SAMLKIT_RUNTIME_CONFIG: JSON.stringify(config),
      SAMLKIT_RUNTIME_NAME: JSON.stringify(runtime),
      SAMLKIT_RUNTIME_PORT: String(port),
    },
  });
}

/**
 * Delivers the IdP's POST (cross-site: no cookies) and, when the ACS answers with its same-site
 * finish step (`/saml/acs?finish=…`), follows it with the browser's cookies.
 */
async function deliverResponse(
  base: string,
  form: URLSearchParams,
  jar: CookieJar,
): Promise<Response> {
  const acs = jar.take(
    await fetch(`${base}/saml/acs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    }),
  );
  const next = acs.status === 303 ? acs.headers.get('location') : null;
  if (!next || !/[?&]finish=/.test(next)) return acs;
  return jar.take(
    await fetch(new URL(next, base), { redirect: 'manual', headers: { cookie: jar.header() } }),
  );
}

/** A whole login, a step-up and the start of logout against the SP at `base`. */
async function exercise(base: string, runtime: string): Promise<void> {
  const jar = new CookieJar();
  expect(await (await fetch(`${base}/app/runtime`)).text()).toBe(runtime);
  // XML signing in the runtime, checked here with samlkit's verifier against the SP certificate.
  const signedXml = await (await fetch(`${base}/app/sign`)).text();
  const signedRoot = parseXml(signedXml).documentElement;
  const verified = await verifyElementSignature(signedRoot, {
    keys: [loadPublicKey(spKeys.certificatePem)],
  });
  expect(verified?.element).toBe(signedRoot);
  const start = jar.take(
    await fetch(`${base}/saml/login?returnTo=%2Fapp%2Fprotected`, { redirect: 'manual' }),
  );
  expect(start.status).toBe(303);
  const { request, relayState, signed } = await idp.readAuthnRequest(
    start.headers.get('location')!,
  );
  expect(signed).toBe(true);
  const delivery = await idp.answerLogin(request, relayState, {
    nameId: `${runtime}@example.com`,
    authnInstant: Date.now() - 60_000,
    sessionIndex: 'idx-1',
  });
  if (delivery.binding !== 'post') throw new Error('expected the POST binding');
  const acs = await deliverResponse(base, delivery.form, jar);
  expect(acs.status).toBe(303);
  expect(acs.headers.get('location')).toBe('/app/protected');
  expect(jar.has('samlkit_session')).toBe(true);
  const cookie = `samlkit_session=${jar.get('samlkit_session')}`;
  const me = await fetch(`${base}/app/protected`, { headers: { cookie } });
  expect(me.status).toBe(200);
  const session = (await me.json()) as { id: string; nameId: string; authnInstant: number };
  expect(session.nameId).toBe(`${runtime}@example.com`);

  // The same Response again is refused.
  const replay = await fetch(`${base}/saml/acs`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: delivery.form.toString(),
  });
  expect(replay.status).toBe(403);
  expect(((await replay.json()) as { error: { code: string } }).error.code).toBe(
    'IN_RESPONSE_TO_MISMATCH',
  );

  // Step-up: ForceAuthn, the Response comes without the cookie, the session is kept.
  const stepUp = jar.take(
    await fetch(`${base}/saml/login?forceAuthn=true&returnTo=/app/protected`, {
      redirect: 'manual',
      headers: { cookie: jar.header() },
    }),
  );
  const again = await idp.readAuthnRequest(stepUp.headers.get('location')!);
  expect(again.request.forceAuthn).toBe(true);
  const fresh = await idp.answerLogin(again.request, again.relayState, {
    nameId: `${runtime}@example.com`,
    sessionIndex: 'idx-2',
  });
  if (fresh.binding !== 'post') throw new Error('expected the POST binding');
  const upgraded = await deliverResponse(base, fresh.form, jar);
  expect(upgraded.status).toBe(303);
  expect(`samlkit_session=${jar.get('samlkit_session')}`).toBe(cookie);
  const after = (await (await fetch(`${base}/app/protected`, { headers: { cookie } })).json()) as {
    id: string;
    authnInstant: number;
  };
  expect(after.id).toBe(session.id);
  expect(after.authnInstant).toBeGreaterThan(session.authnInstant);

  // SP-initiated logout: the session ends and a signed LogoutRequest goes to the IdP.
  const logout = await fetch(`${base}/saml/logout`, { redirect: 'manual', headers: { cookie } });
  expect(logout.status).toBe(303);
  const { signed: logoutSigned } = await idp.readLogoutRequest(logout.headers.get('location')!);
  expect(logoutSigned).toBe(true);
  const gone = await fetch(`${base}/app/protected`, {
    headers: { cookie, accept: 'application/json' },
  });
  expect(gone.status).toBe(401);
}

const miniflare = await miniflareModule();
const workerdMissing = !miniflare && skipLoudly('workerd', 'miniflare is not installed');
describe.skipIf(workerdMissing)('workerd (Miniflare)', () => {
  it('hosts the SP: full login, replay refused, step-up keeps the session, logout', async () => {
    const port = await freePort();
    const scriptPath = await bundleFor('workerd', 'test/support/runtime/worker.ts', port);
    const mf = new miniflare!.Miniflare({
      modules: true,
      scriptPath,
      modulesRoot: dir,
      host: '127.0.0.1',
      port,
      compatibilityDate: '2025-01-01',
    });
    try {
      const url = await mf.ready;
      expect(url.hostname).toBe('127.0.0.1');
      await exercise(`http://127.0.0.1:${port}`, 'workerd');
    } finally {
      await mf.dispose();
    }
  }, 60_000);
});

const deno = denoBinary();
const denoMissing = !deno && skipLoudly('Deno', 'no runnable deno binary (npm i -D deno)');
describe.skipIf(denoMissing)('Deno', () => {
  let server: ListeningProcess | undefined;
  afterAll(async () => server?.stop());
  it('hosts the SP with --allow-net to its own address only', async () => {
    const port = await freePort();
    const script = await bundleFor('deno', 'test/support/runtime/deno.ts', port);
    server = await spawnListening(
      deno!,
      ['run', '--no-prompt', '--no-config', `--allow-net=127.0.0.1:${port}`, script],
      { cwd: dir, env: { DENO_DIR: join(dir, 'deno-cache'), DENO_NO_UPDATE_CHECK: '1' } },
    );
    await exercise(`http://127.0.0.1:${server.port}`, 'deno');
  }, 60_000);
});

const bun = bunBinary();
const bunMissing = !bun && skipLoudly('Bun', 'no runnable bun binary (npm i -D bun)');
describe.skipIf(bunMissing)('Bun', () => {
  let server: ListeningProcess | undefined;
  afterAll(async () => server?.stop());
  it('hosts the SP', async () => {
    const port = await freePort();
    const script = await bundleFor('bun', 'test/support/runtime/bun.ts', port);
    server = await spawnListening(bun!, ['run', script], { cwd: dir });
    try {
      await exercise(`http://127.0.0.1:${server.port}`, 'bun');
    } catch (err) {
      console.error(server.stderr());
      throw err;
    }
  }, 60_000);
});
