// Runs before `npm pack` / `pnpm publish` of @samlkit/core: the error-code reference
// (docs/errors.md) ships in the tarball as ERRORS.md, so every code is documented where the
// package is installed.
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../docs/errors.md', import.meta.url));
const to = fileURLToPath(new URL('../packages/core/ERRORS.md', import.meta.url));
copyFileSync(from, to);
