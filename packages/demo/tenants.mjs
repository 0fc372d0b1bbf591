// The demo's tenant mode (SAML_TENANTS_FILE): several tenants under /t/<id>/, each with its own SP
// entity ID, endpoints, metadata, session cookie and IdP, read from a JSON file that is read again
// when it changes (tenants and IdPs added, changed or removed without a restart). See docs/demo.md.
import { readFile, stat } from 'node:fs/promises';
import {
  createIdpResolver,
  createMetadataSource,
  createTenantServiceProviders,
  parseIdpMetadata,
} from '@samlkit/core';
import { createSamlExpress } from '@samlkit/express';
import { startIdpServer } from '@samlkit/testkit';
import express from 'express';
import { logMetadataEvent } from './app.mjs';

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The per-IdP options a tenant entry may carry (samlkit's IdpPolicy fields). */
const POLICY_FIELDS = [
  'allowSha1',
  'allowUnsolicited',
  'userIdAttribute',
  'attributeMap',
  'requireEncryption',
  'clockSkewMs',
  'nameIdFormat',
  'allowCreate',
  'requestBinding',
  'requestedAuthnContext',
  'requireAssertionSignature',
  'requireResponseSignature',
  'providerName',
  'scoping',
  'attributeConsumingServiceIndex',
  'assertionConsumerServiceIndex',
  'extensions',
];

const escapeHtml = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

/**
 * Reads and checks the tenants file: a JSON array of `{ id, idpMetadataUrl | idpMetadataFile,
 * ...per-IdP options }`. An entry with neither metadata setting gets a built-in test IdP of its own.
 * @param {string} file
 * @returns {Promise<Map<string, Record<string, unknown>>>}
 */
export async function readTenantsFile(file) {
  const list = JSON.parse(await readFile(file, 'utf8'));
  if (!Array.isArray(list)) throw new Error(`${file}: expected a JSON array of tenants`);
  const tenants = new Map();
  for (const [i, entry] of list.entries()) {
    if (!entry || typeof entry !== 'object' || !TENANT_ID.test(String(entry.id))) {
      throw new Error(`${file}: entry ${i} needs an "id" of 1–64 letters, digits, _ or -`);
    }
    if (tenants.has(entry.id)) throw new Error(`${file}: tenant "${entry.id}" appears twice`);
    tenants.set(entry.id, entry);
  }
  return tenants;
}

function page(tenant, title, body) {
  const t = `/t/${encodeURIComponent(tenant)}`;
  return `<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — ${escapeHtml(tenant)} — samlkit demo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
form{display:inline}button,.button{font:inherit;padding:.3rem .8rem;margin-right:.5rem}
nav a{margin-right:1rem}code{background:#f4f4f4;padding:0 .2rem}</style>
<nav><a href="/">All tenants</a><a href="${t}/">Home</a><a href="${t}/profile">Profile</a><a href="${t}/saml/metadata">SP metadata</a></nav>
<h1>${escapeHtml(title)} <small>(tenant <code>${escapeHtml(tenant)}</code>)</small></h1>
${body}</html>`;
}

/**
 * Starts the demo in tenant mode.
 * @param {ReturnType<import('./app.mjs').readSettings>} settings
 * @param {{ store: import('@samlkit/core').SamlStore, name: string }} opened - the store
 * @param {{ privateKey: unknown, certificate: string }} spKey
 * @param {string} file - the tenants file
 */
export async function startTenantDemo(settings, opened, spKey, file) {
  let tenants = await readTenantsFile(file);
  let mtime = (await stat(file)).mtimeMs;
  let checkedAt = 0;
  /** Built-in test IdPs, one per tenant without metadata, started on first use. */
  const testIdps = new Map();
  /** Metadata sources by URL (refreshed on schedule and on a key rollover). */
  const sources = new Map();

  async function idpOf(id, entry) {
    if (entry.idpMetadataUrl) {
      let source = sources.get(entry.idpMetadataUrl);
      if (!source) {
        // One log line per metadata event, as without tenants.
        source = createMetadataSource({
          url: entry.idpMetadataUrl,
          fetch,
          store: opened.store,
          onEvent: logMetadataEvent,
        });
        sources.set(entry.idpMetadataUrl, source);
      }
      return { config: await source.get(), describe: `metadata ${entry.idpMetadataUrl}` };
    }
    if (entry.idpMetadataFile) {
      const config = await parseIdpMetadata(await readFile(entry.idpMetadataFile, 'utf8'), {
        now: Date.now(),
      });
      return { config, describe: `metadata file ${entry.idpMetadataFile}` };
    }
    let server = testIdps.get(id);
    if (!server) {
      server = startIdpServer({ port: 0 });
      testIdps.set(id, server);
    }
    const s = await server;
    return {
      config: s.config,
      describe: `the built-in test IdP of this tenant at ${s.url} (users ${s.users.map((u) => u.username).join(', ')}; password = username)`,
    };
  }

  const idps = createIdpResolver({
    store: opened.store,
    resolve: async ({ purpose, tenant, entityId }) => {
      const entry = tenants.get(tenant);
      if (!entry) return undefined;
      const { config } = await idpOf(tenant, entry);
      if (purpose === 'message' && entityId !== config.entityId) return undefined;
      const policy = Object.fromEntries(
        POLICY_FIELDS.filter((f) => entry[f] !== undefined).map((f) => [f, entry[f]]),
      );
      return { idp: config, policy };
    },
  });
  const saml = createTenantServiceProviders({
    baseUrl: settings.baseUrl,
    store: opened.store,
    idps,
    sp: { signingKeys: [spKey], decryptionKeys: [spKey] },
    tenants: (id) => (tenants.has(id) ? { id } : undefined),
    cookie: { secure: settings.baseUrl.startsWith('https:') },
  });

  /** Reads the file again when it changed: changed or removed tenants are forgotten everywhere. */
  async function reloadIfChanged() {
    const now = Date.now();
    if (now - checkedAt < 500) return;
    checkedAt = now;
    let m;
    try {
      m = (await stat(file)).mtimeMs;
    } catch {
      return; // being replaced: keep the last good copy
    }
    if (m === mtime) return;
    let next;
    try {
      next = await readTenantsFile(file);
    } catch (error) {
      console.warn(
        `samlkit demo: ${file} is not usable, keeping the previous tenants: ${error.message}`,
      );
      return;
    }
    mtime = m;
    const ids = new Set([...tenants.keys(), ...next.keys()]);
    const previous = tenants;
    tenants = next;
    for (const id of ids) {
      if (JSON.stringify(previous.get(id)) === JSON.stringify(next.get(id))) continue;
      saml.invalidate(id);
      apps.delete(id);
      await idps.invalidate({ tenant: id });
      console.log(
        `samlkit demo: tenant ${id} ${next.has(id) ? (previous.has(id) ? 'changed' : 'added') : 'removed'}`,
      );
    }
  }

  /** The Express router of one tenant (its adapter instance), built on first use. */
  const apps = new Map();
  async function tenantApp(id) {
    if (!tenants.has(id)) return undefined;
    let app = apps.get(id);
    if (app) return app;
    const options = await saml.optionsFor(id);
    if (!options) return undefined;
    const adapter = createSamlExpress({ ...options, defaultReturnTo: `/t/${id}/profile` });
    const prefix = `/t/${id}`;
    const router = express.Router();
    router.use(adapter.routes);
    router.get('/', adapter.loadSession(), async (req, res, next) => {
      try {
        const entry = tenants.get(id);
        const idp = entry ? await idpOf(id, entry) : undefined;
        const s = req.samlSession;
        const status = s
          ? `<p>Signed in as <strong>${escapeHtml(s.nameId)}</strong>.</p>
<p><a class="button" href="${prefix}/profile">Your profile</a>
<form method="post" action="${prefix}/saml/logout"><button type="submit">Log out</button></form></p>`
          : `<p>You are not signed in at this tenant.</p>
<p><a class="button" href="${prefix}/saml/login?returnTo=${encodeURIComponent(`${prefix}/profile`)}">Log in</a></p>`;
        res.type('html').send(
          page(
            id,
            'samlkit demo',
            `${status}<table>
<tr><th>SP entity ID</th><td><code>${escapeHtml(options.sp.entityId)}</code></td></tr>
<tr><th>SP metadata</th><td><a href="${prefix}/saml/metadata">${prefix}/saml/metadata</a></td></tr>
<tr><th>Identity provider</th><td>${escapeHtml(idp ? `${idp.config.entityId}: ${idp.describe}` : '—')}</td></tr>
<tr><th>Store</th><td>${escapeHtml(opened.name)}</td></tr></table>`,
          ),
        );
      } catch (error) {
        next(error);
      }
    });
    router.get('/profile', adapter.requireSession(), (req, res) => {
      const s = req.samlSession;
      const rows = Object.entries(s.attributes)
        .map(
          ([name, values]) =>
            `<tr><td><code>${escapeHtml(name)}</code></td><td>${values.map(escapeHtml).join('<br>')}</td></tr>`,
        )
        .join('');
      res
        .set('cache-control', 'no-store')
        .type('html')
        .send(
          page(
            id,
            'Profile',
            `<table><tr><th>User id</th><td><code>${escapeHtml(s.userId ?? s.nameId)}</code></td></tr>
<tr><th>NameID</th><td><code>${escapeHtml(s.nameId)}</code></td></tr>
<tr><th>Issuer (IdP)</th><td><code>${escapeHtml(s.issuer)}</code></td></tr></table>
<h2>Attributes</h2>${rows ? `<table>${rows}</table>` : '<p>None.</p>'}
<p><form method="post" action="${prefix}/saml/logout"><button type="submit">Log out</button></form></p>`,
          ),
        );
    });
    app = router;
    apps.set(id, app);
    return app;
  }

  const app = express();
  app.disable('x-powered-by');
  app.use(async (_req, _res, next) => {
    try {
      await reloadIfChanged();
      next();
    } catch (error) {
      next(error);
    }
  });
  app.use('/t/:tenant', async (req, res, next) => {
    try {
      const router = await tenantApp(req.params.tenant);
      if (!router) return next();
      router(req, res, next);
    } catch (error) {
      next(error);
    }
  });
  app.get('/', (_req, res) => {
    const list = [...tenants.keys()]
      .map((id) => `<li><a href="/t/${encodeURIComponent(id)}/">${escapeHtml(id)}</a></li>`)
      .join('');
    res
      .type('html')
      .send(
        `<!doctype html><html lang="en"><meta charset="utf-8"><title>samlkit demo — tenants</title><h1>Tenants</h1><ul>${list}</ul><p>Tenants come from <code>${escapeHtml(file)}</code>, read again when it changes.</p></html>`,
      );
  });

  const stopIdps = async () => {
    for (const server of testIdps.values()) await (await server).stop();
  };
  const server = await new Promise((resolve, reject) => {
    const srv = app.listen(settings.port, settings.host, () => resolve(srv));
    srv.once('error', reject);
  }).catch(async (error) => {
    await stopIdps();
    throw error;
  });
  return {
    url: settings.baseUrl,
    describe: [
      `samlkit demo: open ${settings.baseUrl}`,
      `  tenants from ${file} (read again when it changes):`,
      ...[...tenants.keys()].map(
        (id) =>
          `  tenant ${id}: ${settings.baseUrl}/t/${id}/  (SP entity ID ${settings.baseUrl}/t/${id}/saml/metadata)`,
      ),
      `  store: ${opened.name}`,
    ],
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
      await stopIdps();
    },
  };
}
