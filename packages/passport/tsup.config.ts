import { packageConfig } from '../../tsup.base.js';

export default packageConfig({
  platform: 'node',
  treeshake: true,
  external: ['@samlkit/core', '@samlkit/express', 'passport-strategy'],
});
