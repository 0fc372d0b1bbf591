#!/usr/bin/env node
// The `samlkit` executable. It is a small launcher, present before anything is built, so a
// package manager can link it at install time (in this repository, `pnpm install` runs before
// `pnpm build`); the command itself lives in dist/main.js.
let cli;
try {
  cli = await import('../dist/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
    process.stderr.write(
      'samlkit: @samlkit/cli is not built (dist/main.js is missing). Run `pnpm build` in the repository first.\n',
    );
    process.exit(1);
  }
  throw error;
}
cli.runFromCommandLine(process.argv.slice(2));
