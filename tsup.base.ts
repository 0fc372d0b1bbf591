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

/**
 * For the packages that bundle the internal Node bridge (`@samlkit/node-bridge`, never published):
 * its code goes into the package (`noExternal`), and so do its declarations — the bridge is
 * path-mapped to its sources for the declaration build, so TypeScript resolves it as a file of the
 * package (not a library in node_modules) and rollup-plugin-dts inlines what the package re-exports
 * (`closeGracefully` and its types) instead of emitting an import of the unpublished package.
 */
export const bundledNodeBridge: Options = {
  noExternal: ['@samlkit/node-bridge'],
  dts: {
    compilerOptions: {
      paths: { '@samlkit/node-bridge': ['../node-bridge/src/index.ts'] },
      // The bridge's sources lie beside the package's own: both under packages/.
      rootDir: '..',
    },
  },
};
