// Fixtures that live next to the repository, in ../shared (real IdP Responses, logout messages,
// metadata and certificates under ../shared/interop), are read only through this module, so that a
// checkout without them can never pass by running fewer tests:
//
// - with CI=true, each suite (or test) whose fixtures are missing registers one FAILING test that
//   names the missing path;
// - otherwise it registers one SKIPPED test, and the run ends with one line counting them
//   (test/support/fixtures-reporter.ts, installed in vitest.config.ts).
//
// The suite body is not even collected when its fixtures are missing, so suites may read their
// manifests at collection time (inside the describe callback) without guarding every read.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** Set on the stand-in test of a suite whose ../shared fixtures are missing: their path. */
    missingFixtures?: string;
  }
}

/** The sibling folder of the repository that holds the shared fixtures. */
export const SHARED_DIR = new URL('../../../shared/', import.meta.url);

/** A folder of fixtures under ../shared. */
export interface Fixtures {
  /** The folder (a file: URL ending in `/`). */
  readonly dir: URL;
  /** Whether the folder and every file the suite said it needs exist. */
  readonly present: boolean;
  /** What is missing, for messages (`''` when present). */
  readonly missing: string;
  /** A file in the folder, as a URL. */
  url(path: string): URL;
  /** A file in the folder, as a filesystem path. */
  path(path: string): string;
  /** A file's text. */
  read(path: string): string;
  /** A file parsed as JSON. */
  json<T = unknown>(path: string): T;
  /** The names in a subfolder. */
  list(path: string): string[];
}

/**
 * The fixtures in `../shared/<folder>`, which a suite needs together with the listed files (paths
 * relative to the folder; a path ending in `/` is a subfolder).
 */
export function sharedFixtures(folder: string, needs: readonly string[] = []): Fixtures {
  const dir = new URL(folder.endsWith('/') ? folder : `${folder}/`, SHARED_DIR);
  // Name the outermost folder that is missing, or else each missing file.
  const absent = !existsSync(SHARED_DIR)
    ? [SHARED_DIR]
    : !existsSync(dir)
      ? [dir]
      : needs.map((n) => new URL(n, dir)).filter((u) => !existsSync(u));
  const missing = absent.map((u) => fileURLToPath(u)).join(', ');
  const url = (path: string) => new URL(path, dir);
  return {
    dir,
    present: absent.length === 0,
    missing,
    url,
    path: (path) => fileURLToPath(url(path)),
    read: (path) => readFileSync(url(path), 'utf8'),
    json: (path) => JSON.parse(readFileSync(url(path), 'utf8')),
    list: (path) => readdirSync(url(path)),
  };
}

const inCi = () => process.env.CI === 'true';

/** The stand-in for a suite or test whose fixtures are missing: fails on CI, skips elsewhere. */
function standIn(fx: Fixtures, name: string): void {
  const title = `${name} [fixtures missing: ${fx.missing}]`;
  const meta = { missingFixtures: fx.missing };
  if (inCi()) {
    it(title, { meta }, () => {
      throw new Error(
        `CI=true and the fixtures of "${name}" are missing: ${fx.missing}. ` +
          'Check out the shared fixtures next to the repository (../shared) before running the tests.',
      );
    });
  } else {
    it.skip(title, { meta }, () => {});
  }
}

/** `describe`, when the fixtures are present; otherwise one stand-in test (see the file header). */
export function describeWithFixtures(fx: Fixtures, name: string, body: () => void): void {
  if (fx.present) describe(name, body);
  else describe(name, () => standIn(fx, 'has its ../shared fixtures'));
}

/** `it`, when the fixtures are present; otherwise one stand-in test (see the file header). */
export function itWithFixtures(fx: Fixtures, name: string, fn: () => Promise<void> | void): void {
  if (fx.present) it(name, fn);
  else standIn(fx, name);
}
