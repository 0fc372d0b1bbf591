import { packageConfig } from '../../tsup.base.js';

// The CLI runs on Node only and ships as ESM. `main.js` is the `samlkit` executable; `index.js`
// exposes `main()` for in-process use. No code splitting, so each entry is self-contained.
export default packageConfig({
  entry: ['src/index.ts', 'src/main.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  splitting: false,
  target: 'node20',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
});
