// The adapter conformance suite: every adapter passes the same cases (harness.ts starts the app
// and drives it; the cases are in one file per area).
import { acsBindingCases } from './adapter-conformance/acs-bindings.js';
import { cookiesCases } from './adapter-conformance/cookies.js';
import { discoveryCases } from './adapter-conformance/discovery.js';
import type {
  AdapterConformanceCase,
  AdapterConformanceOptions,
  AdapterHarness,
} from './adapter-conformance/harness.js';
import { loginCases } from './adapter-conformance/login.js';
import { logoutCases } from './adapter-conformance/logout.js';
import { sessionsCases } from './adapter-conformance/sessions.js';
import { transportCases } from './adapter-conformance/transport.js';
import { tenantConformanceCases } from './adapter-conformance-tenants.js';

export type {
  AdapterApp,
  AdapterConformanceCase,
  AdapterConformanceOptions,
  AdapterHarness,
  AdapterHarnessOptions,
  HeaderCarrier,
} from './adapter-conformance/harness.js';
export { CONFORMANCE_SP_BASE } from './adapter-conformance/harness.js';

/**
 * The cases every adapter must pass, framework-agnostic: login redirect, POST and Redirect ACS
 * without cookies, returnTo safety, the protected route, step-up keeping the session, SP- and
 * IdP-initiated logout (Redirect and SOAP), metadata, error pages, cookie attributes and IdP discovery.
 * @returns the cases
 * @example Listing the case names
 * ```ts
 * for (const c of adapterConformanceCases()) console.log(c.name);
 * ```
 */
export function adapterConformanceCases(): AdapterConformanceCase[] {
  const cases: AdapterConformanceCase[] = [];
  const add = (name: string, run: (h: AdapterHarness) => Promise<void>) =>
    cases.push({ name, run });
  transportCases(add);
  loginCases(add);
  acsBindingCases(add);
  cookiesCases(add);
  sessionsCases(add);
  logoutCases(add);
  discoveryCases(add);
  return cases;
}

/**
 * Registers every adapter conformance case with a test framework. Each case starts the app with
 * fresh options (a new MemoryStore), drives it with a cookie-jar client and an in-process test
 * IdP, and stops it.
 *
 * @param harness - starts the adapter's app (see {@link AdapterHarness} for the routes it serves)
 * @param options - the framework's `test` function and an optional filter
 * @example Running the suite against an adapter
 * ```ts
 * import { test } from 'vitest';
 * runAdapterConformance({ start: async (options) => startMyApp(options) }, { test });
 * ```
 */
export function runAdapterConformance(
  harness: AdapterHarness,
  options: AdapterConformanceOptions,
): void {
  for (const c of [...adapterConformanceCases(), ...tenantConformanceCases()]) {
    if (options.only && !options.only.some((s) => c.name.includes(s))) continue;
    options.test(c.name, () => c.run(harness));
  }
}
