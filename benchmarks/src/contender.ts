// What every library under test provides to the harness.

import type { Fixtures, VariantName } from './fixtures.js';

/**
 * Validates one SAML Response as an ACS would: `samlResponse` is the base64 value of the
 * HTTP-POST binding's form field. Resolves with the NameID of the authenticated user; rejects
 * when the document is not acceptable.
 */
export type Validate = (samlResponse: string) => Promise<string>;

export interface Contender {
  /** The npm package name (or `samlkit`). */
  readonly name: string;
  /** The installed version. */
  readonly version: string;
  /** What the library checks, as configured here, and what the harness checks for it. */
  readonly checks: string;
  /** Builds a validator for one variant, configured to validate fully (pinned cert, audience, …). */
  prepare(fixtures: Fixtures, variant: VariantName): Promise<Validate>;
}

/** The harness's own check of what a library returned, for the checks a library leaves to callers. */
export function expectEqual(what: string, found: unknown, expected: unknown): void {
  if (found !== expected) {
    throw new Error(`${what}: expected ${String(expected)}, found ${String(found)}`);
  }
}
