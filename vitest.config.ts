import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string, entry = 'index') =>
  fileURLToPath(new URL(`./packages/${name}/src/${entry}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Subpath exports come before their package: the first matching alias wins.
    alias: {
      '@samlkit/core/xml': pkg('core', 'xml'),
      '@samlkit/core': pkg('core'),
      '@samlkit/testkit': pkg('testkit'),
      '@samlkit/redis': pkg('redis'),
      '@samlkit/express': pkg('express'),
      '@samlkit/koa': pkg('koa'),
      '@samlkit/fastify': pkg('fastify'),
      '@samlkit/fetch': pkg('fetch'),
      '@samlkit/cli': pkg('cli'),
      '@samlkit/passport': pkg('passport'),
    },
  },
  test: {
    // `pnpm test` runs both projects; `pnpm test:unit` (vitest run --project unit) only the
    // packages' own suites, without the browsers, runtimes, IdP servers and the benchmark smoke.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.test.ts',
            'test/repo/**/*.test.ts',
            'test/docs/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: [
            'test/e2e/**/*.test.ts',
            'test/interop/**/*.test.ts',
            'benchmarks/test/**/*.test.ts',
          ],
        },
      },
    ],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The fixtures reporter ends the run with one line counting the suites whose ../shared
    // fixtures are missing (test/support/fixtures.ts).
    reporters: [
      'default',
      ...(process.env.CI ? ['json'] : []),
      './test/support/fixtures-reporter.ts',
    ],
    outputFile: { json: './test-results.json' },
    pool: 'forks',
  },
});
