import { packageConfig } from '../../tsup.base.js';

export default packageConfig({
  // The root API, and the DOM-level tier under `@samlkit/core/xml`.
  entry: ['src/index.ts', 'src/xml.ts'],
  platform: 'neutral',
  treeshake: true,
  esbuildOptions(options, { format }) {
    // The signing stack is loaded with import() on first use. In the CommonJS build that becomes
    // require(), so CommonJS hosts (and test runners without ESM support) load it as before.
    if (format === 'cjs') options.supported = { ...options.supported, 'dynamic-import': false };
  },
});
