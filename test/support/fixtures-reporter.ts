// Counts the stand-in tests that test/support/fixtures.ts registers for suites whose ../shared
// fixtures are missing, and ends the run with one line saying how many there were.
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type {} from './fixtures.js';

/**
 * Ends the run with one line counting the stand-in tests of missing fixtures, so that a skip is
 * never silent (on CI the stand-ins fail, and the line says so too).
 */
export default class FixturesReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const standIns: TestCase[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) if (t.meta().missingFixtures) standIns.push(t);
    }
    if (standIns.length === 0) return;
    const paths = [...new Set(standIns.map((t) => t.meta().missingFixtures))].join(', ');
    const files = new Set(standIns.map((t) => t.module.moduleId)).size;
    const verdict = process.env.CI === 'true' ? 'FAILED (CI=true)' : 'SKIPPED';
    console.warn(
      `\n!!! ${standIns.length} fixture tests in ${files} files ${verdict}: missing ${paths} !!!\n`,
    );
  }
}
