// The demo's federation mode (SAML_FEDERATION_METADATA_URL or _FILE, with
// SAML_FEDERATION_CERT_FILE): every IdP of a signed federation aggregate is trusted, a login
// without an IdP shows the discovery page (/saml/discovery), and /saml/discofeed serves the
// DiscoFeed JSON. See docs/demo.md and docs/federation.md.
import { readFile } from 'node:fs/promises';
import { createIdpResolver, discoveryIdpsOf, loadAggregate, loadPublicKey } from '@samlkit/core';

/**
 * The aggregate behind a small interface (one IdP's metadata by entity ID, the IdPs to list) so
 * that another source of federation metadata (a per-entity MDQ lookup) can take its place.
 * @param {ReturnType<import('./app.mjs').readSettings>} settings
 */
async function openAggregate(settings) {
  if (!settings.federationCertFile) {
    throw new Error(
      'SAML_FEDERATION_CERT_FILE must name the federation’s metadata-signing certificate (PEM)',
    );
  }
  const keys = [loadPublicKey(await readFile(settings.federationCertFile, 'utf8'))];
  const where = settings.federationMetadataUrl ?? settings.federationMetadataFile;
  const read = async () => {
    if (settings.federationMetadataFile) return readFile(settings.federationMetadataFile, 'utf8');
    const res = await fetch(settings.federationMetadataUrl, {
      headers: { accept: 'application/samlmetadata+xml, application/xml' },
    });
    if (!res.ok) throw new Error(`${settings.federationMetadataUrl} answered ${res.status}`);
    return res.text();
  };
  const load = async () => loadAggregate(await read(), { keys, now: Date.now() });
  const started = Date.now();
  let aggregate = await load();
  const loadMs = Date.now() - started;
  let listed = discoveryIdpsOf(aggregate);
  // A URL is fetched again every SAML_FEDERATION_REFRESH_MS (default 6 hours); logins keep using
  // the verified copy until a new one has verified, and keep it when the refresh fails.
  let timer;
  if (settings.federationMetadataUrl) {
    timer = setInterval(() => {
      load().then(
        (next) => {
          aggregate = next;
          listed = discoveryIdpsOf(next);
          console.log(
            `samlkit federation: refreshed ${where}: ${next.counts.idps} IdPs, ${listed.length} listed`,
          );
        },
        (error) =>
          console.warn(
            `samlkit federation: refresh of ${where} failed, the last good copy stays: ${error?.code ?? ''} ${error?.message ?? error}`,
          ),
      );
    }, settings.federationRefreshMs);
    timer.unref();
  }
  return {
    describe: `every IdP of the federation aggregate ${where} (${aggregate.counts.idps} IdPs, ${listed.length} listed for discovery; loaded and verified in ${loadMs} ms)`,
    /** @param {string} entityId */
    idp: (entityId) =>
      aggregate.summary(entityId)?.idp ? aggregate.idp(entityId, { now: Date.now() }) : undefined,
    discoveryIdps: () => listed,
    stop: async () => clearInterval(timer),
  };
}

/**
 * The IdPs of the federation as the service provider takes them: a resolver (each IdP's metadata
 * parsed from the verified aggregate on first use), and the discovery option.
 * @param {ReturnType<import('./app.mjs').readSettings>} settings
 */
export async function openFederation(settings) {
  const federation = await openAggregate(settings);
  const idps = createIdpResolver({
    resolve: async ({ purpose, idp, entityId }) => {
      const id = purpose === 'login' ? idp : entityId;
      if (id === undefined) return undefined;
      const metadata = await federation.idp(id);
      return metadata ? { idp: metadata } : undefined;
    },
  });
  return {
    idps,
    discovery: { idps: federation.discoveryIdps, title: 'Sign in with your institution' },
    describe: federation.describe,
    stop: federation.stop,
  };
}
