// Bundles the demo with the sources of the workspace packages it imports (esbuild), so that
// `pnpm start` needs no build of @samlkit/core, express, testkit and redis first: a fresh clone
// starts in about a second instead of after four package builds with type declarations.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');

/**
 * Writes the demo (app.mjs and everything it imports except express and Node's own modules) to
 * one ES module under node_modules/.cache, and returns its path and what it left external.
 * @param {string} [name] the file name (one per process: demos started together do not race)
 * @returns {Promise<{ file: string, external: string[] }>}
 */
export async function bundleDemo(name = `app-${process.pid}.mjs`) {
  const dir = join(here, 'node_modules', '.cache', 'samlkit-demo');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  const result = await build({
    entryPoints: [join(here, 'app.mjs')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // express stays a dependency of the demo (resolved from packages/demo/node_modules).
    external: ['express'],
    // CommonJS dependencies inside the bundle call require() for Node's modules.
    banner: {
      js: "import { createRequire as __samlkitRequire } from 'node:module'; const require = __samlkitRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: 'error',
    plugins: [
      {
        name: 'samlkit-sources',
        setup(b) {
          b.onResolve({ filter: /^@samlkit\/[a-z]+$/ }, (args) => ({
            path: join(root, 'packages', args.path.slice('@samlkit/'.length), 'src', 'index.ts'),
          }));
          // A subpath export (@samlkit/core/xml) is the source file of that name.
          b.onResolve({ filter: /^@samlkit\/[a-z]+\/[a-z]+$/ }, (args) => {
            const [pkg, sub] = args.path.slice('@samlkit/'.length).split('/');
            return { path: join(root, 'packages', pkg, 'src', `${sub}.ts`) };
          });
        },
      },
    ],
  });
  const external = new Set();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) if (imported.external) external.add(imported.path);
  }
  return { file, external: [...external].sort() };
}
