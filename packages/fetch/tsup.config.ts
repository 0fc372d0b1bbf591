import { packageConfig } from '../../tsup.base.js';

export default packageConfig({
  platform: 'neutral',
  treeshake: true,
  external: ['@samlkit/core'],
});
