import { defineConfig, type Options } from 'tsup';

/**
 * The build every published package shares: ESM and CommonJS from `src/index.ts`, declarations,
 * source maps, a clean `dist/`, ES2022. A package's tsup.config.ts passes only what differs
 * (platform, externals, tree shaking, extra entries).
 */
export function packageConfig(options: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    ...options,
  });
}
