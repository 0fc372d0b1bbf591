import { bundledNodeBridge, packageConfig } from '../../tsup.base.js';

export default packageConfig({
  platform: 'node',
  treeshake: true,
  // The Node bridge is internal (never published): bundled, declarations included.
  ...bundledNodeBridge,
  external: ['@samlkit/core', 'express'],
});
