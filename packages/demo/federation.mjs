// The demo's federation mode: SAML_FEDERATION_METADATA_URL (or _FILE) with
// SAML_FEDERATION_CERT_FILE trusts every IdP of a signed federation aggregate; SAML_MDQ_URL with
// SAML_MDQ_CERT_FILE looks IdPs up per entity instead. A login without an IdP shows the discovery
// page (/saml/discovery, listing the aggregate's IdPs) or, with SAML_DISCOVERY_URL, goes to an
// external discovery service; /saml/discofeed serves the DiscoFeed JSON. See docs/demo.md.
import { readFile } from 'node:fs/promises';
import {
  createAggregateSource,
  createMdqSource,
  discoveryIdpsOf,
  loadPublicKey,
} from '@samlkit/core';

async function pinned(file, variable) {
  if (!file) throw new Error(`${variable} must name the metadata-signing certificate (PEM)`);
  return [loadPublicKey(await readFile(file, 'utf8'))];
}

function logEvent(e) {
  const failed = /failed|skipped|exceeded/.test(e.type);
  const entity = e.entityId ?? e.mdqEntityId;
  const line = `samlkit federation: ${e.type}${entity ? ` entity=${entity}` : ''}${
    e.error ? ` code=${e.error.code} ${e.error.message}` : ''
  }`;
  if (failed) console.warn(line);
  else console.log(line);
}

/**
 * The IdPs of the federation as the service provider takes them (`idps`: the aggregate source's
 * or the MDQ source's resolver) and the discovery option.
 * @param {ReturnType<import('./app.mjs').readSettings>} settings
 * @param {import('@samlkit/core').SamlStore} store - where MDQ answers are shared
 */
export async function openFederation(settings, store) {
  const where = settings.federationMetadataUrl ?? settings.federationMetadataFile;
  const parts = [];
  let source;
  let listing;
  if (where) {
    const keys = await pinned(settings.federationCertFile, 'SAML_FEDERATION_CERT_FILE');
    source = createAggregateSource({
      ...(settings.federationMetadataUrl
        ? { url: settings.federationMetadataUrl, fetch }
        : { load: () => readFile(settings.federationMetadataFile, 'utf8') }),
      keys,
      onEvent: (e) => {
        if (e.type !== 'aggregate-updated' || e.reason !== 'initial') logEvent(e);
      },
    });
    const started = Date.now();
    const aggregate = await source.get();
    const loadMs = Date.now() - started;
    // The discovery list of the aggregate in force (made once per aggregate: the source swaps
    // aggregates when a refresh has verified a new one).
    listing = async () => discoveryIdpsOf(await source.get());
    const listed = (await listing()).length;
    parts.push(
      `every IdP of the federation aggregate ${where} (${aggregate.counts.idps} IdPs, ${listed} listed for discovery; loaded and verified in ${loadMs} ms)`,
    );
  }
  let mdq;
  if (settings.mdqUrl) {
    const keys = await pinned(settings.mdqCertFile, 'SAML_MDQ_CERT_FILE');
    mdq = createMdqSource({ baseUrl: settings.mdqUrl, fetch, keys, store, onEvent: logEvent });
    parts.push(`IdPs looked up per entity at the MDQ service ${settings.mdqUrl}`);
  }
  const discovery = settings.discoveryUrl
    ? { service: settings.discoveryUrl }
    : listing
      ? { idps: listing, title: 'Sign in with your institution' }
      : undefined;
  return {
    idps: mdq ? mdq.resolver : source.resolver,
    ...(discovery ? { discovery } : {}),
    describe: parts.join('; '),
    stop: async () => {
      await Promise.all([source?.idle(), mdq?.idle()]);
    },
  };
}
