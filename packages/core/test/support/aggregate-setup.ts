// The set-up the aggregate tests share (core's loader, testkit's generator): a federation key,
// another key that is not the federation's, and a signed synthetic aggregate.
import { generateTestKeys, type TestKeys } from '@samlkit/testkit';
import { type BuiltAggregate, buildAggregate } from '../../../testkit/src/aggregate.js';

/** The instant the aggregates are built and loaded at. */
export const AGGREGATE_NOW: number = Date.UTC(2031, 4, 6, 12, 0, 0);

/** What {@link buildTestAggregate} made. */
export interface TestAggregate {
  /** The federation's signing key (its certificate is the pinned one). */
  readonly fed: TestKeys;
  /** A key that is not the federation's. */
  readonly other: TestKeys;
  readonly aggregate: BuiltAggregate;
}

/** The keys of a test federation: its signing key, one that is not its, two entity certificates. */
export interface AggregateKeys {
  readonly fed: TestKeys;
  readonly other: TestKeys;
  /** PEM certificates the generated IdPs and SPs carry. */
  readonly certificates: string[];
}

/** Generates {@link AggregateKeys}. */
export async function aggregateKeys(): Promise<AggregateKeys> {
  const [fed, other, c1, c2] = await Promise.all([
    generateTestKeys({ subject: 'test federation' }),
    generateTestKeys({ subject: 'not the federation' }),
    generateTestKeys({ subject: 'entity 1' }),
    generateTestKeys({ subject: 'entity 2' }),
  ]);
  return { fed, other, certificates: [c1.certificatePem, c2.certificatePem] };
}

/**
 * Generates the keys and builds an aggregate of `entities` entities signed by the federation key,
 * its IdPs and SPs carrying two entity certificates, at {@link AGGREGATE_NOW}.
 */
export async function buildTestAggregate(entities: number): Promise<TestAggregate> {
  const { fed, other, certificates } = await aggregateKeys();
  const aggregate = await buildAggregate({
    entities,
    signingKey: fed,
    certificates,
    now: AGGREGATE_NOW,
  });
  return { fed, other, aggregate };
}
