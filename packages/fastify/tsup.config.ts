import { packageConfig } from '../../tsup.base.js';

export default packageConfig({
  platform: 'node',
  treeshake: true,
  // The Node bridge is internal (never published): bundled into the adapter.
  noExternal: ['@samlkit/node-bridge'],
  external: ['@samlkit/core', 'fastify', 'fastify-plugin'],
});
