// The packages as npm ships them: every package is packed (pnpm pack), the tarballs are installed
// into a scratch application in a temporary directory outside the workspace (from the pnpm
// store, or the npm registry for what the store lacks), and one login program is type-checked
// and run there three times: as ESM (.mts) and as CommonJS (.cts, require()) under TypeScript's
// nodenext resolution, and as ESM under bundler resolution. Every other test imports src/; this
// one tests the shipped build (dist/, exports, types).
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const packages = readdirSync(join(root, 'packages')).filter((dir) => {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  return manifest.private !== true;
});
const built = packages.every((dir) => existsSync(join(root, 'packages', dir, 'dist')));
if (!built && !process.env.CI) {
  console.warn('SKIPPED packed packages: run `pnpm build` first (pnpm test does)');
}

/** Exact versions of the tools the scratch app needs, as the workspace pins them. */
function pinned(name: string): string {
  const lock = readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8');
  const m = new RegExp(
    `\\n      '?${name.replace('/', '\\/')}'?:\\n        specifier: [^\\n]+\\n        version: ([^\\s(]+)`,
  ).exec(lock);
  if (!m) throw new Error(`${name} is not in the root importer of pnpm-lock.yaml`);
  return m[1]!;
}

// The login, as an application would write it: the Express adapter, the test IdP as a server, and
// a cookie-keeping client that follows redirects and submits the IdP's forms like a browser.
const LOGIN = `
import { generateTestKeys, startIdpServer } from '@samlkit/testkit';
import { MemoryStore, SAML_ERROR_CODES } from '@samlkit/core';
import { type CloseGracefullyOptions, closeGracefully, createSamlExpress } from '@samlkit/express';
import { createSamlHandlers } from '@samlkit/fetch';
import { type CloseGracefullyResult, closeGracefully as closeKoaServer, createSamlKoa } from '@samlkit/koa';
import { samlkit } from '@samlkit/fastify';
import { RedisStore } from '@samlkit/redis';
import { main as cli } from '@samlkit/cli';
import express from 'express';
import type { AddressInfo } from 'node:net';

interface Page { url: string; status: number; body: string }

const jar = new Map<string, string>();
async function go(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Page> {
  let next: string = url;
  let request = init;
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(next, {
      method: request.method ?? 'GET',
      ...(request.body !== undefined && { body: request.body }),
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => k + '=' + v).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0]!;
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location !== null) {
      next = new URL(location, next).href;
      request = {};
      continue;
    }
    return { url: next, status: res.status, body: await res.text() };
  }
  throw new Error('too many redirects');
}

const decode = (v: string): string =>
  v.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

async function submit(page: Page, fields: Record<string, string> = {}): Promise<Page> {
  const action = /<form[^>]*action="([^"]*)"/.exec(page.body);
  if (!action) throw new Error('no form on ' + page.url + ': ' + page.body.slice(0, 300));
  const body = new URLSearchParams();
  for (const tag of page.body.match(/<input[^>]*>/g) ?? []) {
    const name = /name="([^"]*)"/.exec(tag)?.[1];
    if (name) body.set(name, decode(/value="([^"]*)"/.exec(tag)?.[1] ?? ''));
  }
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  return go(new URL(decode(action[1]!), page.url).href, { method: 'POST', body });
}

async function main(): Promise<void> {
  // Every package loads, with its types.
  const loaded: unknown[] = [MemoryStore, createSamlHandlers, createSamlKoa, closeKoaServer, samlkit, RedisStore, cli];
  // The adapters' shutdown helper is typed in their own declarations (an unresolved type would be
  // any, and these expected errors would then be unused ones).
  // @ts-expect-error deadlineMs is a number of milliseconds
  const wrong: CloseGracefullyOptions = { deadlineMs: 'soon' };
  // @ts-expect-error the result has drained and cut, not ok
  const wrongResult: CloseGracefullyResult = { ok: true };
  void [wrong, wrongResult];
  if (loaded.some((x) => typeof x !== 'function') || !SAML_ERROR_CODES.includes('EXPIRED')) {
    throw new Error('a package export is missing');
  }
  const app = express();
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve, reject) => {
    const s = app.listen(0, 'localhost', (error) => (error ? reject(error) : resolve(s)));
  });
  const base = 'http://localhost:' + (server.address() as AddressInfo).port;
  const idp = await startIdpServer({
    serviceProviders: [{ entityId: base + '/saml/metadata', acsUrls: [base + '/saml/acs'], sloUrl: base + '/saml/slo' }],
  });
  const keys = await generateTestKeys({ subject: 'sp' });
  const saml = createSamlExpress({
    sp: {
      entityId: base + '/saml/metadata',
      assertionConsumerServices: [{ binding: 'post', location: base + '/saml/acs' }],
      singleLogoutServices: [{ binding: 'redirect', location: base + '/saml/slo' }],
      signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
    },
    idps: idp.config,
    baseUrl: base,
    logger: { warn() {}, error() {} },
  });
  app.use(saml.routes);
  app.get('/profile', saml.requireSession(), (req, res) => {
    res.json({ user: req.samlSession!.nameId });
  });
  try {
    const login = await go(base + '/profile');
    const answer = await submit(login, { username: 'alice', password: 'alice' });
    const profile = await submit(answer); // the auto-submitting form that carries the Response
    if (profile.url !== base + '/profile' || JSON.parse(profile.body).user !== 'alice@example.com') {
      throw new Error('login failed: ' + profile.status + ' ' + profile.url + ' ' + profile.body.slice(0, 300));
    }
    console.log('signed in: alice@example.com');
  } finally {
    const closed = await closeGracefully(server, { deadlineMs: 5000 });
    await idp.stop();
    if (!closed.drained) throw new Error('the server did not drain: ' + closed.cut + ' cut');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

describe.skipIf(!built && !process.env.CI)(
  'the packed packages, installed outside the workspace',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'samlkit-packed-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const run = (cmd: string, args: string[], cwd = dir): string => {
      try {
        return execFileSync(cmd, args, {
          cwd,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string };
        throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
      }
    };

    it('install from their tarballs and sign a user in as ESM, CommonJS and TypeScript (nodenext, bundler)', () => {
      expect(built, 'every package has dist/: run `pnpm build`').toBe(true);
      const tarballs = join(dir, 'tarballs');
      mkdirSync(tarballs);
      const files: Record<string, string> = {};
      for (const pkg of packages) {
        const out = run(
          'pnpm',
          ['pack', '--pack-destination', tarballs],
          join(root, 'packages', pkg),
        );
        const file = out.trim().split('\n').pop()!.trim();
        const name = JSON.parse(
          readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'),
        ).name;
        files[name] = `file:${file}`;
      }
      const app = join(dir, 'app');
      mkdirSync(app);
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({
          name: 'scratch-app',
          private: true,
          dependencies: { ...files, express: pinned('express') },
          devDependencies: {
            typescript: pinned('typescript'),
            '@types/node': pinned('@types/node'),
            '@types/express': pinned('@types/express'),
          },
          // The tarballs depend on each other by version: take those from the tarballs too.
          pnpm: { overrides: files },
        }),
      );
      // From the pnpm store; what the store lacks (a newer transitive version) from the npm registry.
      run(
        'pnpm',
        ['install', '--prefer-offline', '--ignore-workspace', '--config.confirmModulesPurge=false'],
        app,
      );

      const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
      const strict = [
        '--strict',
        '--skipLibCheck',
        '--esModuleInterop',
        '--target',
        'es2022',
        '--types',
        'node',
      ];
      writeFileSync(join(app, 'login.mts'), LOGIN);
      writeFileSync(join(app, 'login.cts'), LOGIN);
      mkdirSync(join(app, 'bundler'));
      writeFileSync(join(app, 'bundler', 'package.json'), '{ "type": "module" }');
      writeFileSync(join(app, 'bundler', 'login.ts'), LOGIN);
      // ESM and CommonJS, type-checked with nodenext resolution and emitted as .mjs / .cjs.
      run(
        process.execPath,
        [tsc, ...strict, '--module', 'nodenext', '--outDir', 'out', 'login.mts', 'login.cts'],
        app,
      );
      expect(readFileSync(join(app, 'out', 'login.cjs'), 'utf8')).toContain(
        'require("@samlkit/core")',
      );
      // Bundler resolution (what Vite, esbuild and Next.js users compile with).
      run(
        process.execPath,
        [
          tsc,
          ...strict,
          '--module',
          'esnext',
          '--moduleResolution',
          'bundler',
          '--outDir',
          'out-bundler',
          'bundler/login.ts',
        ],
        app,
      );
      writeFileSync(join(app, 'out-bundler', 'package.json'), '{ "type": "module" }');
      for (const program of ['out/login.mjs', 'out/login.cjs', 'out-bundler/login.js']) {
        expect(run(process.execPath, [program], app), program).toContain(
          'signed in: alice@example.com',
        );
      }
    }, 600_000);
  },
);
