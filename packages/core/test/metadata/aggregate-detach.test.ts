import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  type AggregateEntitySummary,
  type AggregateEvent,
  createAggregateSource,
  loadAggregate,
  loadPublicKey,
  SamlError,
} from '@samlkit/core';
import type { TestKeys } from '@samlkit/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltAggregate, buildAggregate } from '../../../testkit/src/aggregate.js';
import { withoutText } from '../../src/metadata/aggregate-detach.js';
import { aggregateKeys } from '../support/aggregate-setup.js';

// What outlives an aggregate — the summaries a discovery page keeps, the refusal a source keeps
// as lastError — must not keep the aggregate's text alive.

const NOW = Date.UTC(2031, 4, 6, 12, 0, 0);
const HOUR = 3600_000;
let fed: TestKeys;
let built: BuiltAggregate;

beforeAll(async () => {
  let certificates: string[];
  ({ fed, certificates } = await aggregateKeys());
  built = await buildAggregate({ entities: 1500, signingKey: fed, certificates, now: NOW });
});

/** A full collection (V8's gc, exposed for this test). */
function collect(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('withoutText', () => {
  it('keeps the code, message and details, and drops the refused text (property)', () => {
    const text = fc.string({ maxLength: 40 });
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.option(text, { nil: undefined }),
        fc.option(text, { nil: undefined }),
        fc.option(text, { nil: undefined }),
        fc.string(),
        (summary, expected, found, hint, raw) => {
          const original = new SamlError('XML_PARSE_ERROR', summary, {
            ...(expected !== undefined && { expected }),
            ...(found !== undefined && { found }),
            ...(hint !== undefined && { hint }),
            raw,
          });
          const copy = withoutText(original);
          expect(copy).toBeInstanceOf(SamlError);
          expect(copy.raw).toBe(undefined);
          expect(copy.code).toBe(original.code);
          expect(copy.message).toBe(original.message);
          expect(copy.details).toEqual(original.details);
        },
      ),
    );
  });
});

describe('an aggregate no longer in force is released', () => {
  it('keeps no refused text as lastError or in the refusal event', async () => {
    const events: AggregateEvent[] = [];
    let xml = built.xml;
    let clock = NOW;
    const source = createAggregateSource({
      load: async () => xml,
      keys: [loadPublicKey(fed.certificatePem)],
      now: () => clock,
      onEvent: (e) => events.push(e),
    });
    await source.get();
    // A download cut short: the scan refuses it and would keep the whole text as `raw`.
    xml = built.xml.slice(0, built.xml.length - 100);
    clock = NOW + HOUR;
    await source.refresh();
    const failed = events.at(-1)!;
    expect(failed.type).toBe('aggregate-refresh-failed');
    const error = failed.type === 'aggregate-refresh-failed' ? failed.error : undefined;
    expect(error?.code).toBe('XML_PARSE_ERROR');
    expect(error?.raw).toBe(undefined);
    expect(source.status().lastError?.code).toBe('XML_PARSE_ERROR');
    expect(source.status().lastError?.raw).toBe(undefined);
  });

  it('keeps no text alive through the entity summaries a caller holds', async () => {
    const size = built.xml.length;
    expect(size).toBeGreaterThan(6 * 1024 * 1024);
    // The document as a fresh string of its own (not the generator's), so that only the loader
    // and what it hands out can refer to it.
    const load = (): Promise<readonly AggregateEntitySummary[]> =>
      loadAggregate(built.xml.split('').join(''), {
        keys: [loadPublicKey(fed.certificatePem)],
        now: NOW,
      }).then((a) => a.entities());
    collect();
    const before = process.memoryUsage().heapUsed;
    // The summaries (entity IDs, categories, display names, scopes) outlive the aggregate, as a
    // discovery page's list would.
    const kept = await load();
    collect();
    const after = process.memoryUsage().heapUsed;
    expect(kept.length).toBe(1500);
    expect(kept[0]!.entityId).toBe(built.entities[0]!.entityId);
    // The summaries themselves take a small part of the text's size; the text is gone.
    expect(after - before).toBeLessThan(size / 2);
  });
});
