import { defineConfig } from 'tsup';

// The CLI runs on Node only and ships as ESM. `main.js` is the `samlkit` executable; `index.js`
// exposes `main()` for in-process use. No code splitting, so each entry is self-contained.
export default defineConfig({
  entry: ['src/index.ts', 'src/main.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  splitting: false,
  target: 'node20',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
});
