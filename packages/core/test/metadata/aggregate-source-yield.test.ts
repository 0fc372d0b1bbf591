import { createAggregateSource, isSamlError, loadPublicKey } from '@samlkit/core';
import type { TestKeys } from '@samlkit/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltAggregate, buildAggregate } from '../../../testkit/src/aggregate.js';
import { aggregateKeys } from '../support/aggregate-setup.js';

// A process that loads or refreshes a federation aggregate of megabytes goes on serving: every
// long pass over the text (the pre-parse scan, the canonicalization and index) pauses for a
// macrotask between slices, and the aggregate in force answers logins while the new one is
// verified. What is counted is how many other macrotasks ran, never how long anything took.

const NOW = Date.UTC(2031, 4, 6, 12, 0, 0);
const HOUR = 3600_000;
const MIB = 1 << 20;
let fed: TestKeys;
let first: BuiltAggregate;
let second: BuiltAggregate;

beforeAll(async () => {
  let certificates: string[];
  ({ fed, certificates } = await aggregateKeys());
  // A few thousand entities: several MiB of text, so several full slices per pass.
  first = await buildAggregate({ entities: 2500, signingKey: fed, certificates, now: NOW });
  second = await buildAggregate({
    entities: 2600,
    signingKey: fed,
    certificates,
    now: NOW + HOUR,
  });
});

/** Counts the macrotasks that run until `stop()`: a timer that sets itself again each time. */
function ticker(onTick?: (n: number) => void): { count(): number; stop(): void } {
  let n = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    n++;
    onTick?.(n);
    timer = setTimeout(tick, 0);
  };
  timer = setTimeout(tick, 0);
  return {
    count: () => n,
    stop: () => clearTimeout(timer),
  };
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

describe('createAggregateSource: loads and refreshes in slices', () => {
  it('lets other macrotasks run all through the first load', async () => {
    expect(first.xml.length).toBeGreaterThan(8 * MIB);
    const source = createAggregateSource({
      load: async () => first.xml,
      keys: [loadPublicKey(fed.certificatePem)],
      now: () => NOW,
    });
    const t = ticker();
    stops.push(t.stop);
    const aggregate = await source.get();
    const ran = t.count();
    t.stop();
    expect(aggregate.counts.entities).toBe(2500);
    // Each of the two passes (the scan; the canonicalization and index) pauses 16 times per MiB
    // in its first 2 MiB and once per MiB after that: well over one pass's worth of macrotasks
    // ran, so both passes let them run.
    const onePass = 32 + Math.floor((first.xml.length - 2 * MIB) / MIB);
    expect(ran).toBeGreaterThan(1.5 * onePass);
  });

  it('lets other macrotasks run while the scan reads a document it refuses only at its end', async () => {
    // Well-formed up to the end of the root element, then not (XML 1.0 §2.1: one root element):
    // only the scan reads this far, so every macrotask that ran before the refusal ran between
    // the scan's slices.
    const source = createAggregateSource({
      load: async () => `${first.xml}<trailing/>`,
      keys: [loadPublicKey(fed.certificatePem)],
      now: () => NOW,
    });
    const t = ticker();
    stops.push(t.stop);
    const refused = await source.get().catch((e: unknown) => e);
    const ran = t.count();
    t.stop();
    expect(isSamlError(refused) && refused.code).toBe('XML_PARSE_ERROR');
    expect(ran).toBeGreaterThanOrEqual(Math.floor(first.xml.length / MIB));
  });

  it('answers logins from the aggregate in force while a new one is verified', async () => {
    let clock = NOW;
    let xml = first.xml;
    const source = createAggregateSource({
      load: async () => xml,
      keys: [loadPublicKey(fed.certificatePem)],
      now: () => clock,
    });
    const old = await source.get();
    const idp = first.entities.find((e) => e.role === 'idp')!;
    // The new aggregate has an IdP the old one has not (the generator names entities by index).
    const onlyNew = second.entities.filter((e) => e.role === 'idp').at(-1)!;
    expect(old.summary(onlyNew.entityId)).toBe(undefined);

    xml = second.xml;
    clock = NOW + 7 * HOUR; // past the default refresh interval
    // While the refresh runs, a timer asks as a login would: the aggregate in force answers.
    const during: Promise<{ same: boolean; found?: string; refreshing: boolean }>[] = [];
    const t = ticker((n) => {
      if (n % 8 !== 0 || !source.status().refreshing) return;
      during.push(
        (async () => {
          const got = await source.get();
          const found = await source.resolver.lookup({ purpose: 'login', idp: idp.entityId });
          return {
            same: got === old,
            ...(found && { found: found.idp.entityId }),
            refreshing: source.status().refreshing,
          };
        })(),
      );
    });
    stops.push(t.stop);
    expect(await source.get()).toBe(old); // starts the refresh, does not wait for it
    await source.idle();
    t.stop();
    const answers = await Promise.all(during);
    // Many answers while the refresh ran, every one from the old aggregate, before it ended.
    expect(answers.length).toBeGreaterThanOrEqual(4);
    for (const a of answers)
      expect(a).toEqual({ same: true, found: idp.entityId, refreshing: true });
    // Then the new one is in force.
    const now = await source.get();
    expect(now).not.toBe(old);
    expect(now.summary(onlyNew.entityId)?.idp).toBe(true);
  });
});
