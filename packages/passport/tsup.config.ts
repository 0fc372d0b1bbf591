import { packageConfig } from '../../tsup.base.js';

export default packageConfig({
  platform: 'node',
  treeshake: true,
  // The Node bridge is internal (never published): bundled, as in the adapters.
  noExternal: ['@samlkit/node-bridge'],
  external: ['@samlkit/core', 'passport-strategy'],
});
