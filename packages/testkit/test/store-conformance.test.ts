import {
  MemoryStore,
  matchesPendingRequest,
  type PendingRequest,
  type PendingRequestMatch,
  type SamlStore,
  type SessionQuery,
  type SessionRecord,
} from '@samlkit/core';
import {
  STORE_RACE_CALLERS,
  type StoreConformanceHarness,
  storeConformanceCases,
} from '@samlkit/testkit';
import { describe, expect, test } from 'vitest';

// The suite must catch broken stores. Each store below breaks one guarantee of SamlStore; the
// cases that check that guarantee must fail, and a correct store must pass every case.

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Delegates everything to a MemoryStore; subclasses break one thing. */
class Delegating implements SamlStore {
  readonly inner: MemoryStore;
  constructor(inner: MemoryStore) {
    this.inner = inner;
  }
  putPendingRequest(id: string, r: PendingRequest, e: number) {
    return this.inner.putPendingRequest(id, r, e);
  }
  takePendingRequest(id: string, expect?: PendingRequestMatch) {
    return this.inner.takePendingRequest(id, expect);
  }
  rememberOnce(key: string, e: number) {
    return this.inner.rememberOnce(key, e);
  }
  putSession(s: SessionRecord) {
    return this.inner.putSession(s);
  }
  getSession(id: string) {
    return this.inner.getSession(id);
  }
  touchSession(id: string, e: number) {
    return this.inner.touchSession(id, e);
  }
  deleteSession(id: string) {
    return this.inner.deleteSession(id);
  }
  findSessions(q: SessionQuery) {
    return this.inner.findSessions(q);
  }
  getValue(key: string) {
    return this.inner.getValue(key);
  }
  setValue(key: string, v: string, e: number) {
    return this.inner.setValue(key, v, e);
  }
}

/** Take as get, then delete after a round trip: not atomic. */
class RacyTake extends Delegating {
  readonly pending = new Map<string, PendingRequest>();
  override async putPendingRequest(id: string, r: PendingRequest) {
    this.pending.set(id, r);
  }
  override async takePendingRequest(id: string) {
    const record = this.pending.get(id);
    await tick();
    this.pending.delete(id);
    return record;
  }
}

/** A store written before the conditional take: it ignores the condition and takes anything. */
class IgnoresCondition extends Delegating {
  override takePendingRequest(id: string) {
    return this.inner.takePendingRequest(id);
  }
}

/** A conditional take as take, compare, then put back after a round trip: not atomic. */
class PutsBack extends Delegating {
  override async takePendingRequest(id: string, expect?: PendingRequestMatch) {
    const record = await this.inner.takePendingRequest(id);
    if (!record || !expect || matchesPendingRequest(record, expect)) return record;
    await tick();
    await this.inner.putPendingRequest(id, record, Number.MAX_SAFE_INTEGER);
    return undefined;
  }
}

/** rememberOnce as check, round trip, then set: not atomic. */
class RacyRemember extends Delegating {
  override async rememberOnce(key: string, e: number) {
    const seen = await this.inner.getValue(`once:${key}`);
    await tick();
    if (seen !== undefined) return false;
    await this.inner.setValue(`once:${key}`, '1', e);
    return true;
  }
}

/** Ignores SessionIndex in SLO lookups. */
class IgnoresSessionIndex extends Delegating {
  override findSessions(q: SessionQuery) {
    return this.inner.findSessions({ issuer: q.issuer, nameId: q.nameId });
  }
}

/** An SLO index that is never cleaned: deleted, replaced and expired sessions stay listed. */
class StaleIndex extends Delegating {
  readonly all = new Map<string, SessionRecord>();
  override async putSession(s: SessionRecord) {
    this.all.set(`${s.id}|${s.issuer}|${s.nameId}`, s);
    await this.inner.putSession(s);
  }
  override async findSessions(q: SessionQuery) {
    return [...this.all.values()].filter(
      (s) =>
        s.issuer === q.issuer &&
        s.nameId === q.nameId &&
        (q.sessionIndex === undefined || s.sessionIndex === q.sessionIndex),
    );
  }
}

/** rememberOnce that extends the expiry when it refuses. */
class ExtendsOnRefusal extends Delegating {
  override async rememberOnce(key: string, e: number) {
    const seen = (await this.inner.getValue(`once:${key}`)) !== undefined;
    await this.inner.setValue(`once:${key}`, '1', e);
    return !seen;
  }
}

function harness(
  wrap: (inner: MemoryStore) => SamlStore,
  frozenClock = false,
): StoreConformanceHarness {
  let now = Date.UTC(2026, 0, 1);
  return {
    open: async (nodes) => {
      const store = wrap(new MemoryStore({ now: () => now }));
      return Array.from({ length: nodes }, () => store);
    },
    now: () => now,
    advance: async (ms) => {
      if (!frozenClock) now += ms;
    },
  };
}

async function failing(h: StoreConformanceHarness): Promise<string[]> {
  const failed: string[] = [];
  for (const c of storeConformanceCases()) {
    try {
      await c.run(h);
    } catch {
      failed.push(c.name);
    }
  }
  return failed;
}

describe('store conformance suite', () => {
  test('a correct store passes every case', async () => {
    expect(await failing(harness((s) => new Delegating(s)))).toEqual([]);
  });

  test('a non-atomic take fails the take race', async () => {
    // (Its map also ignores expiry, so the expiry cases of pending requests fail too.)
    expect(await failing(harness((s) => new RacyTake(s)))).toContain(
      `pending request: ${STORE_RACE_CALLERS} concurrent takes of one ID, exactly one wins`,
    );
  });

  test('a store that ignores the condition of a conditional take fails its cases', async () => {
    expect(await failing(harness((s) => new IgnoresCondition(s)))).toEqual([
      'pending request: a conditional take takes only a record of that kind and IdP',
      'pending request: a mismatching conditional take keeps the expiry it had',
      `pending request: ${STORE_RACE_CALLERS} concurrent conditional takes, only the matching one gets it`,
    ]);
  });

  test('a conditional take that takes and puts back fails the race and the expiry case', async () => {
    expect(await failing(harness((s) => new PutsBack(s)))).toEqual([
      'pending request: a mismatching conditional take keeps the expiry it had',
      `pending request: ${STORE_RACE_CALLERS} concurrent conditional takes, only the matching one gets it`,
    ]);
  });

  test('a non-atomic rememberOnce fails the replay race', async () => {
    const failed = await failing(harness((s) => new RacyRemember(s)));
    expect(failed).toContain(
      `rememberOnce: ${STORE_RACE_CALLERS} concurrent calls with one key, exactly one accepted`,
    );
  });

  test('a store that never expires anything fails every expiry case', async () => {
    const failed = await failing(harness((s) => new Delegating(s), true));
    expect(failed).toEqual([
      'pending request: expires at expiresAt',
      'pending request: a mismatching conditional take keeps the expiry it had',
      'rememberOnce: accepted again after expiry, and a refusal does not extend it',
      'session: expires at expiresAt and leaves the SLO index',
      'session: touch can shorten the expiry; unknown IDs give false',
      'values: expire at expiresAt; an overwrite sets the new expiry',
    ]);
  });

  test('an SLO lookup that ignores SessionIndex fails', async () => {
    expect(await failing(harness((s) => new IgnoresSessionIndex(s)))).toContain(
      'SLO index: by issuer and NameID, with and without SessionIndex',
    );
  });

  test('an SLO index that is not kept consistent fails after delete, replace and expiry', async () => {
    const failed = await failing(harness((s) => new StaleIndex(s)));
    expect(failed).toEqual(
      expect.arrayContaining([
        'session: expires at expiresAt and leaves the SLO index',
        'session: delete removes it from reads and from the SLO index, once',
        'SLO index: replacing a session moves it to its new NameID and SessionIndex',
        `SLO index: ${STORE_RACE_CALLERS} concurrent logins and deletes of one user stay consistent`,
      ]),
    );
  });

  test('a rememberOnce that extends the expiry on refusal fails', async () => {
    expect(await failing(harness((s) => new ExtendsOnRefusal(s)))).toContain(
      'rememberOnce: accepted again after expiry, and a refusal does not extend it',
    );
  });

  test('case names are unique', () => {
    const names = storeConformanceCases().map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
