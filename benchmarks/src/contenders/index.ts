import type { Contender } from '../contender.js';

/** Every library under test, loaded on demand so a process loads only what it measures. */
export const CONTENDER_LOADERS: Record<string, () => Promise<Contender>> = {
  samlkit: async () => (await import('./samlkit.js')).samlkit,
  '@node-saml/node-saml': async () => (await import('./node-saml.js')).nodeSaml,
  samlify: async () => (await import('./samlify.js')).samlifyContender,
  '@boxyhq/saml20': async () => (await import('./boxyhq.js')).boxyhq,
  'saml2-js': async () => (await import('./saml2-js.js')).saml2js,
};

export const CONTENDER_NAMES = Object.keys(CONTENDER_LOADERS);
export const PEER_NAMES = CONTENDER_NAMES.filter((n) => n !== 'samlkit');
