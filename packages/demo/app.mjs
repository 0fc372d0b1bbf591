// The samlkit demo application: Express + @samlkit/express, with the testkit IdP as an HTTP server
// (a login page with test users) unless a real IdP's metadata is configured. See docs/demo.md.
import { readFile } from 'node:fs/promises';
import {
  createIdpRegistry,
  createMetadataSource,
  createSelfSignedCertificate,
  loadPrivateKey,
  MemoryStore,
  parseIdpMetadata,
} from '@samlkit/core';
import { closeGracefully, createSamlExpress } from '@samlkit/express';
import { startIdpServer } from '@samlkit/testkit';
import express from 'express';

/**
 * Reads the demo's settings from environment variables (names fixed by DESIGN.md, the demo
 * contract), with the defaults a fresh clone needs.
 * @param {Record<string, string | undefined>} env
 */
export function readSettings(env) {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`PORT must be a port number, not ${JSON.stringify(env.PORT)}`);
  }
  const baseUrl = (env.SAML_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const binding = env.SAML_AUTHN_REQUEST_BINDING ?? 'redirect';
  if (binding !== 'redirect' && binding !== 'post') {
    throw new Error('SAML_AUTHN_REQUEST_BINDING must be redirect or post');
  }
  const responseBinding = env.SAML_RESPONSE_BINDING ?? 'post';
  if (!['post', 'artifact', 'simpleSign'].includes(responseBinding)) {
    throw new Error('SAML_RESPONSE_BINDING must be post, artifact or simpleSign');
  }
  const shutdownMs = Number(env.SAML_SHUTDOWN_MS ?? 10_000);
  if (!Number.isFinite(shutdownMs) || shutdownMs < 0) {
    throw new Error(
      `SAML_SHUTDOWN_MS must be a number of milliseconds, not ${JSON.stringify(env.SAML_SHUTDOWN_MS)}`,
    );
  }
  return {
    port,
    host: env.HOST ?? 'localhost',
    baseUrl,
    entityId: env.SAML_SP_ENTITY_ID ?? `${baseUrl}/saml/metadata`,
    idpMetadataUrl: env.SAML_IDP_METADATA_URL || undefined,
    idpMetadataFile: env.SAML_IDP_METADATA_FILE || undefined,
    redisUrl: env.REDIS_URL || undefined,
    spKeyFile: env.SAML_SP_KEY_FILE || undefined,
    spCertFile: env.SAML_SP_CERT_FILE || undefined,
    testIdpPort: Number(env.SAML_TEST_IDP_PORT ?? 0),
    authnRequestBinding: binding,
    responseBinding,
    allowSha1: env.SAML_ALLOW_SHA1 === 'true',
    tenantsFile: env.SAML_TENANTS_FILE || undefined,
    federationMetadataUrl: env.SAML_FEDERATION_METADATA_URL || undefined,
    federationMetadataFile: env.SAML_FEDERATION_METADATA_FILE || undefined,
    federationCertFile: env.SAML_FEDERATION_CERT_FILE || undefined,
    mdqUrl: env.SAML_MDQ_URL || undefined,
    mdqCertFile: env.SAML_MDQ_CERT_FILE || undefined,
    discoveryUrl: env.SAML_DISCOVERY_URL || undefined,
    shutdownMs,
  };
}

const escapeHtml = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

/** A listen error that names the port, and what to do about it. */
function listenError(error, settings) {
  const where = `port ${settings.port} on ${settings.host}`;
  if (error.code === 'EADDRINUSE') {
    return new Error(
      `${where} is already in use: stop the program that listens there, or start the demo on another port (PORT=3001 pnpm start)`,
      { cause: error },
    );
  }
  return new Error(`cannot listen on ${where}: ${error.message}`, { cause: error });
}

const when = (ms) => (ms === undefined ? '—' : new Date(ms).toISOString());

function page(title, body) {
  return `<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — samlkit demo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
form{display:inline}button,.button{font:inherit;padding:.3rem .8rem;margin-right:.5rem}
nav a{margin-right:1rem}code{background:#f4f4f4;padding:0 .2rem}</style>
<nav><a href="/">Home</a><a href="/profile">Profile</a><a href="/sp-metadata.xml">SP metadata</a></nav>
<h1>${escapeHtml(title)}</h1>
${body}</html>`;
}

async function loadSpKeys(settings) {
  if (settings.spKeyFile || settings.spCertFile) {
    if (!settings.spKeyFile || !settings.spCertFile) {
      throw new Error('set both SAML_SP_KEY_FILE and SAML_SP_CERT_FILE, or neither');
    }
    const [keyPem, certificate] = await Promise.all([
      readFile(settings.spKeyFile, 'utf8'),
      readFile(settings.spCertFile, 'utf8'),
    ]);
    return { privateKey: loadPrivateKey(keyPem), certificate, generated: false };
  }
  const made = await createSelfSignedCertificate({
    subject: new URL(settings.baseUrl).hostname,
    days: 365,
    alg: 'rsa2048',
  });
  return {
    privateKey: loadPrivateKey(made.privateKeyPem),
    certificate: made.certificatePem,
    generated: true,
  };
}

async function openStore(settings) {
  if (!settings.redisUrl)
    return { store: new MemoryStore(), close: async () => {}, name: 'memory' };
  const { RedisStore } = await import('@samlkit/redis');
  const store = new RedisStore({ url: settings.redisUrl });
  await store.ping();
  return { store, close: () => store.close(), name: 'redis' };
}

/**
 * One log line for a metadata source event. Every failure (a refresh that failed, a login that
 * stopped waiting for one, a skipped refresh, the shared store failing) is a warning: these are
 * what an operator alerts on.
 * @param {import('@samlkit/core').MetadataEvent} e
 * @returns {{ level: 'info' | 'warn', line: string }}
 */
export function formatMetadataEvent(e) {
  const head = `samlkit metadata: ${e.type} url=${e.url}`;
  switch (e.type) {
    case 'metadata-updated':
      return {
        level: 'info',
        line: `${head} entity=${e.entityId} from=${e.source} reason=${e.reason} signingKeysChanged=${e.signingKeysChanged} next=${new Date(e.nextRefreshAt).toISOString()}`,
      };
    case 'metadata-not-modified':
      return {
        level: 'info',
        line: `${head} reason=${e.reason} next=${new Date(e.nextRefreshAt).toISOString()}`,
      };
    case 'metadata-refresh-failed':
      return {
        level: 'warn',
        line: `${head} reason=${e.reason} code=${e.error.code} ${e.error.message}${e.retryAt === undefined ? ' (no usable metadata)' : ` (last good copy stays; retry ${new Date(e.retryAt).toISOString()})`}`,
      };
    case 'metadata-wait-exceeded':
      return {
        level: 'warn',
        line: `${head} reason=${e.reason} waitedMs=${e.waitedMs} (the login failed; the refresh goes on)`,
      };
    case 'metadata-refresh-skipped':
      return { level: 'warn', line: `${head} reason=${e.reason} why=${e.why}` };
    case 'expiry-warning':
      return { level: 'warn', line: `${head} ${e.warning.message}` };
    case 'store-error':
      return {
        level: 'warn',
        line: `${head} ${e.error instanceof Error ? e.error.message : String(e.error)}`,
      };
    default:
      return { level: 'info', line: head };
  }
}

/**
 * Logs a metadata source event as one line (`formatMetadataEvent`), warnings on stderr.
 * @param {import('@samlkit/core').MetadataEvent} e
 */
export function logMetadataEvent(e) {
  const { level, line } = formatMetadataEvent(e);
  if (level === 'warn') console.warn(line);
  else console.log(line);
}

async function openIdp(settings, store) {
  if (settings.federationMetadataUrl || settings.federationMetadataFile || settings.mdqUrl) {
    // Federation mode (federation.mjs): every IdP of a signed aggregate (or of an MDQ service),
    // and IdP discovery.
    const { openFederation } = await import('./federation.mjs');
    return openFederation(settings, store);
  }
  if (settings.idpMetadataUrl) {
    const source = createMetadataSource({
      url: settings.idpMetadataUrl,
      fetch,
      store,
      onEvent: logMetadataEvent,
    });
    const metadata = await source.get();
    return {
      idps: createIdpRegistry([{ entityId: metadata.entityId, idp: source }]),
      describe: `the IdP ${metadata.entityId} (metadata ${settings.idpMetadataUrl})`,
      stop: async () => {},
    };
  }
  if (settings.idpMetadataFile) {
    const metadata = await parseIdpMetadata(await readFile(settings.idpMetadataFile, 'utf8'));
    return {
      idps: metadata,
      describe: `the IdP ${metadata.entityId} (metadata file ${settings.idpMetadataFile})`,
      stop: async () => {},
    };
  }
  const server = await startIdpServer({
    port: settings.testIdpPort,
    serviceProviders: [
      {
        entityId: settings.entityId,
        acsUrls: [`${settings.baseUrl}/saml/acs`],
        sloUrl: `${settings.baseUrl}/saml/slo`,
      },
    ],
  });
  return {
    idps: server.config,
    describe: `the built-in test IdP at ${server.url} (users ${server.users
      .map((u) => u.username)
      .join(', ')}; the password is the username)`,
    testIdp: server,
    stop: () => server.stop(),
  };
}

function homePage(session, info) {
  const status = session
    ? `<p>Signed in as <strong>${escapeHtml(session.nameId)}</strong>.</p>
<p><a class="button" href="/profile">Your profile</a>
<form method="post" action="/saml/logout"><button type="submit">Log out</button></form></p>`
    : `<p>You are not signed in.</p>
<p><a class="button" href="/saml/login?returnTo=%2Fprofile">Log in</a>
(or open the <a href="/profile">protected page</a>, which sends you to the IdP)</p>`;
  return page(
    'samlkit demo',
    `${status}
<h2>This application</h2>
<table>
<tr><th>SP entity ID</th><td><code>${escapeHtml(info.entityId)}</code></td></tr>
<tr><th>SP metadata</th><td><a href="/sp-metadata.xml">view</a> (IdPs read it at <code>/saml/metadata</code>)</td></tr>
<tr><th>Identity provider</th><td>${escapeHtml(info.idp)}</td></tr>
<tr><th>Store</th><td>${escapeHtml(info.store)}</td></tr>
</table>`,
  );
}

function profilePage(session, info) {
  const attributes = Object.entries(session.attributes)
    .map(
      ([name, values]) =>
        `<tr><td><code>${escapeHtml(name)}</code></td><td>${values.map(escapeHtml).join('<br>')}</td></tr>`,
    )
    .join('');
  const row = (name, value) =>
    `<tr><th>${escapeHtml(name)}</th><td>${value === undefined ? '—' : `<code>${escapeHtml(value)}</code>`}</td></tr>`;
  return page(
    'Profile',
    `<p>This page is protected: only a signed-in user sees it.</p>
<h2>NameID</h2>
<table>${row('NameID', session.nameId)}${row('Format', session.nameIdFormat)}${row('Issuer (IdP)', session.issuer)}</table>
<h2>Attributes</h2>
${attributes ? `<table><tr><th>Name</th><th>Values</th></tr>${attributes}</table>` : '<p>The IdP sent no attributes.</p>'}
<h2>Session</h2>
<table>${row('SessionIndex', session.sessionIndex)}${row('Authenticated at', when(session.authnInstant))}${row(
      'AuthnContextClassRef',
      session.authnContextClassRef,
    )}${row('Session created', when(session.createdAt))}${row('Session expires', when(session.expiresAt))}</table>
<p>
<a class="button" href="/saml/login?forceAuthn=true&amp;returnTo=%2Fprofile">Re-authenticate (step-up, ForceAuthn)</a>
<form method="post" action="/saml/logout"><button type="submit">Log out (single logout)</button></form>
</p>${
      info.idpLogoutUrl
        ? `<p><a href="${escapeHtml(info.idpLogoutUrl)}">Log out at the IdP instead</a> (IdP-initiated single logout: the test IdP sends a LogoutRequest to <code>/saml/slo</code>)</p>`
        : ''
    }`,
  );
}

/**
 * Starts the demo: the IdP (built-in or configured), the store, and the Express application.
 * @param {Record<string, string | undefined>} env - environment variables (see docs/demo.md)
 * @returns {Promise<{ url: string, idpUrl?: string, describe: string[], stop(deadlineMs?: number): Promise<{ drained: boolean, cut: number }> }>}
 */
export async function startDemo(env) {
  const settings = readSettings(env);
  const keys = await loadSpKeys(settings);
  const opened = await openStore(settings);
  if (settings.tenantsFile) {
    // Tenant mode (tenants.mjs): one SP per tenant under /t/<id>/.
    const { startTenantDemo } = await import('./tenants.mjs');
    const spKey = { privateKey: keys.privateKey, certificate: keys.certificate };
    const demo = await startTenantDemo(settings, opened, spKey, settings.tenantsFile).catch(
      async (error) => {
        await opened.close();
        throw error;
      },
    );
    return { ...demo, stop: () => demo.stop().finally(() => opened.close()) };
  }
  let idp;
  try {
    idp = await openIdp(settings, opened.store);
  } catch (error) {
    await opened.close();
    throw error;
  }
  const spKey = { privateKey: keys.privateKey, certificate: keys.certificate };
  const saml = createSamlExpress({
    sp: {
      entityId: settings.entityId,
      assertionConsumerServices: [
        { binding: 'post', location: `${settings.baseUrl}/saml/acs`, index: 0, isDefault: true },
        // HTTP-Artifact or SimpleSign, when asked for: accepted at the ACS and in the metadata.
        ...(settings.responseBinding !== 'post'
          ? [
              {
                binding: settings.responseBinding,
                location: `${settings.baseUrl}/saml/acs`,
                index: 1,
              },
            ]
          : []),
      ],
      singleLogoutServices: [
        { binding: 'redirect', location: `${settings.baseUrl}/saml/slo` },
        { binding: 'post', location: `${settings.baseUrl}/saml/slo` },
      ],
      signingKeys: [spKey],
      decryptionKeys: [spKey],
    },
    ...(settings.responseBinding !== 'post' ? { responseBinding: settings.responseBinding } : {}),
    idps: idp.idps,
    ...(idp.discovery ? { discovery: idp.discovery } : {}),
    store: opened.store,
    baseUrl: settings.baseUrl,
    cookie: { secure: settings.baseUrl.startsWith('https:') },
    authnRequestBinding: settings.authnRequestBinding,
    ...(settings.allowSha1 ? { allowSha1: true } : {}),
    defaultReturnTo: '/profile',
  });
  const info = {
    entityId: settings.entityId,
    idp: idp.describe,
    store: opened.name,
    ...(idp.testIdp
      ? {
          idpLogoutUrl: `${idp.testIdp.url}/logout?sp=${encodeURIComponent(settings.entityId)}`,
        }
      : {}),
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(saml.routes);
  app.get('/', saml.loadSession(), (req, res) => {
    res.type('html').send(homePage(req.samlSession, info));
  });
  // The SP metadata to look at: the same XML as /saml/metadata, but as application/xml, which a
  // browser shows instead of downloading (application/samlmetadata+xml).
  app.get('/sp-metadata.xml', async (_req, res) => {
    const metadata = await saml.provider.handle(new Request(`${settings.baseUrl}/saml/metadata`));
    if (!metadata?.ok) return res.sendStatus(404);
    res.type('application/xml').send(await metadata.text());
  });
  app.get('/profile', saml.requireSession(), (req, res) => {
    res.set('cache-control', 'no-store').type('html').send(profilePage(req.samlSession, info));
  });

  const server = await new Promise((resolve, reject) => {
    // Express 5 hands a listen error (EADDRINUSE, EACCES) to this callback instead of throwing.
    const s = app.listen(settings.port, settings.host, (error) =>
      error ? reject(listenError(error, settings)) : resolve(s),
    );
  }).catch(async (error) => {
    await idp.stop();
    await opened.close();
    throw error;
  });
  const url = settings.baseUrl;
  const describe = [
    `samlkit demo: open ${url}`,
    `  SP entity ID: ${settings.entityId}  (metadata: ${settings.baseUrl}/saml/metadata)`,
    `  identity provider: ${idp.describe}`,
    `  store: ${opened.name}`,
  ];
  if (idp.discovery?.service) {
    describe.push(`  discovery: the discovery service ${idp.discovery.service}`);
  } else if (idp.discovery) {
    describe.push(
      `  discovery: ${settings.baseUrl}/saml/discovery (DiscoFeed: ${settings.baseUrl}/saml/discofeed)`,
    );
  }
  if (
    keys.generated &&
    (settings.idpMetadataUrl ||
      settings.idpMetadataFile ||
      settings.federationMetadataUrl ||
      settings.federationMetadataFile ||
      settings.mdqUrl)
  ) {
    describe.push(
      '  SP keys were generated for this run: give SAML_SP_KEY_FILE/SAML_SP_CERT_FILE (samlkit keys) so the IdP keeps trusting the SP after a restart',
    );
  }
  return {
    url,
    ...(idp.testIdp ? { idpUrl: idp.testIdp.url } : {}),
    describe,
    /**
     * Stops accepting, answers what is in flight (within `deadlineMs`, default SAML_SHUTDOWN_MS or
     * 10 s), then stops the IdP and closes the store.
     */
    async stop(deadlineMs = settings.shutdownMs) {
      const result = await closeGracefully(server, { deadlineMs, store: opened });
      await idp.stop();
      return result;
    },
  };
}
