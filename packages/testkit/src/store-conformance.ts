import type { PendingRequest, SamlStore, SessionRecord } from '@samlkit/core';

/**
 * What the conformance suite needs to drive a store. One harness per store implementation.
 *
 * Cases open a fresh data set, use it through one or more handles ("nodes"), and let time pass
 * with `advance`: a store with an injectable clock advances a fake clock; a store whose backend
 * expires entries in real time (Redis) waits.
 */
export interface StoreConformanceHarness {
  /**
   * Opens a fresh, empty data set and returns `nodes` handles on it. Handles must share their
   * state the way cluster nodes would: for a networked store, one store object per handle, each
   * with its own connection; for an in-process store, the same object `nodes` times.
   */
  open(nodes: number): Promise<readonly SamlStore[]>;
  /** Releases what `open` returned (close connections). Called even when a case fails. */
  close?(stores: readonly SamlStore[]): Promise<void>;
  /** The stores' current time (epoch ms). */
  now(): number;
  /**
   * Lets at least `ms` milliseconds pass for the stores: advance the injected clock, or wait in
   * real time (plus whatever margin the backend needs to have expired the entries).
   */
  advance(ms: number): Promise<void>;
  /**
   * The TTL (ms) the cases give entries that they then let expire. Default 1000. Real-time
   * stores choose a short one (a few hundred ms) to keep the suite quick.
   */
  readonly ttlMs?: number;
}

/** One named conformance case. */
export interface StoreConformanceCase {
  /** A sentence naming the guarantee it checks. */
  readonly name: string;
  /** Runs the case; rejects with an `Error` saying what was expected and found. */
  run(harness: StoreConformanceHarness): Promise<void>;
}

/** How {@link runStoreConformance} registers cases with a test framework. */
export interface StoreConformanceOptions {
  /** The framework's `test`/`it`: called once per case with its name and body. */
  readonly test: (name: string, body: () => Promise<void>) => void;
  /** Run only the cases whose name includes one of these strings. */
  readonly only?: readonly string[];
}

/** How many concurrent callers the race cases use. */
export const STORE_RACE_CALLERS = 50;
/** How many handles ("nodes") the race cases spread their callers over. */
const RACE_NODES = 3;

class ConformanceError extends Error {
  constructor(what: string, expected: unknown, found: unknown) {
    super(`${what}: expected ${show(expected)}, found ${show(found)}`);
    this.name = 'StoreConformanceError';
  }
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : canonical(value);
}

/** JSON with object keys sorted and `undefined` properties dropped, for deep comparison. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

function equal(found: unknown, expected: unknown, what: string): void {
  const same =
    found === undefined || expected === undefined
      ? found === expected
      : canonical(found) === canonical(expected);
  if (!same) throw new ConformanceError(what, expected, found);
}

function uid(label: string): string {
  return `${label}-${globalThis.crypto.randomUUID()}`;
}

function pending(id: string, now: number, extra: Partial<PendingRequest> = {}): PendingRequest {
  return { id, kind: 'authn', createdAt: now, idpEntityId: 'https://idp.example.com/', ...extra };
}

function session(
  now: number,
  ttl: number,
  extra: Partial<SessionRecord> & Pick<SessionRecord, 'issuer' | 'nameId'>,
): SessionRecord {
  return {
    id: uid('sess'),
    attributes: {},
    createdAt: now,
    expiresAt: now + ttl,
    ...extra,
  };
}

function ids(sessions: readonly SessionRecord[]): string[] {
  return sessions.map((s) => s.id);
}

async function withStores(
  h: StoreConformanceHarness,
  nodes: number,
  body: (stores: readonly SamlStore[]) => Promise<void>,
): Promise<void> {
  const stores = await h.open(nodes);
  try {
    await body(stores);
  } finally {
    await h.close?.(stores);
  }
}

function one(name: string, body: (store: SamlStore, h: StoreConformanceHarness) => Promise<void>) {
  return {
    name,
    run: (h: StoreConformanceHarness) =>
      withStores(h, 1, (stores) => body(stores[0] as SamlStore, h)),
  };
}

function many(
  name: string,
  body: (stores: readonly SamlStore[], h: StoreConformanceHarness) => Promise<void>,
) {
  return {
    name,
    run: (h: StoreConformanceHarness) => withStores(h, RACE_NODES, (s) => body(s, h)),
  };
}

const ttlOf = (h: StoreConformanceHarness) => h.ttlMs ?? 1000;
const LONG = 60 * 60_000;

/**
 * The store conformance cases, framework-agnostic: each is a name and an async body that throws
 * when the store breaks a guarantee of `SamlStore`. Covers take-once and set-if-absent (with
 * races of {@link STORE_RACE_CALLERS} concurrent callers over several handles), TTL expiry of
 * every kind of entry, sessions and the SLO index (lookups with and without SessionIndex,
 * consistency after replace, delete and expiry), separate key spaces, and shared values.
 *
 * @returns a fresh list of cases
 *
 * @example Running the cases by hand
 * ```ts
 * for (const c of storeConformanceCases()) await c.run(harness);
 * ```
 * @see SamlStore in `@samlkit/core` for the guarantees checked
 */
export function storeConformanceCases(): StoreConformanceCase[] {
  return [
    // Pending requests
    one('pending request: put then take returns the record, and only once', async (store, h) => {
      const id = uid('_req');
      const record = pending(id, h.now(), {
        relayState: 'rs-1',
        returnTo: '/account?tab=1',
        sessionId: 'existing-session',
        forceAuthn: true,
        isPassive: false,
        requestedAuthnContext: { comparison: 'minimum', classRefs: ['urn:a', 'urn:b'] },
        binding: 'post',
        destination: 'https://sp.example.com/saml/acs',
        data: { nested: { list: [1, 'two', null, true], empty: [] }, unicode: 'Zoë ☃ 𝄞' },
      });
      await store.putPendingRequest(id, record, h.now() + LONG);
      equal(await store.takePendingRequest(id), record, 'first take');
      equal(await store.takePendingRequest(id), undefined, 'second take');
    }),
    one('pending request: take of an unknown ID is undefined', async (store) => {
      equal(await store.takePendingRequest(uid('_none')), undefined, 'take of unknown ID');
    }),
    one('pending request: put replaces an entry with the same ID', async (store, h) => {
      const id = uid('_req');
      await store.putPendingRequest(
        id,
        pending(id, h.now(), { relayState: 'old' }),
        h.now() + LONG,
      );
      const newer = pending(id, h.now(), { relayState: 'new', kind: 'logout', nameId: 'u' });
      await store.putPendingRequest(id, newer, h.now() + LONG);
      equal(await store.takePendingRequest(id), newer, 'take after replace');
    }),
    one('pending request: expires at expiresAt', async (store, h) => {
      const id = uid('_req');
      const kept = uid('_req');
      await store.putPendingRequest(id, pending(id, h.now()), h.now() + ttlOf(h));
      await store.putPendingRequest(kept, pending(kept, h.now()), h.now() + LONG);
      await h.advance(ttlOf(h));
      equal(await store.takePendingRequest(id), undefined, 'take after expiry');
      equal((await store.takePendingRequest(kept))?.id, kept, 'take of a longer-lived request');
    }),
    one('pending request: an expiresAt in the past stores nothing', async (store, h) => {
      const id = uid('_req');
      await store.putPendingRequest(id, pending(id, h.now()), h.now() - 1);
      equal(await store.takePendingRequest(id), undefined, 'take of a request put already expired');
    }),
    many('pending request: put on one node, taken on another', async ([a, b], h) => {
      const id = uid('_req');
      await a?.putPendingRequest(id, pending(id, h.now()), h.now() + LONG);
      equal((await b?.takePendingRequest(id))?.id, id, 'take on the other node');
      equal(await a?.takePendingRequest(id), undefined, 'take on the first node afterwards');
    }),
    many(
      `pending request: ${STORE_RACE_CALLERS} concurrent takes of one ID, exactly one wins`,
      async (stores, h) => {
        const id = uid('_req');
        await stores[0]?.putPendingRequest(id, pending(id, h.now()), h.now() + LONG);
        const results = await Promise.all(
          Array.from({ length: STORE_RACE_CALLERS }, (_, i) =>
            (stores[i % stores.length] as SamlStore).takePendingRequest(id),
          ),
        );
        const winners = results.filter((r) => r !== undefined);
        equal(winners.length, 1, 'number of takes that got the record');
        equal(winners[0]?.id, id, 'the winning record');
      },
    ),

    // Replay cache
    one('rememberOnce: true the first time, false while remembered', async (store, h) => {
      const key = `assertion:https://idp.example.com/:${uid('_a')}`;
      equal(await store.rememberOnce(key, h.now() + LONG), true, 'first rememberOnce');
      equal(await store.rememberOnce(key, h.now() + LONG), false, 'second rememberOnce');
      equal(await store.rememberOnce(`${key}x`, h.now() + LONG), true, 'another key');
    }),
    one(
      'rememberOnce: accepted again after expiry, and a refusal does not extend it',
      async (store, h) => {
        const key = `assertion:https://idp.example.com/:${uid('_a')}`;
        const ttl = ttlOf(h);
        equal(await store.rememberOnce(key, h.now() + ttl), true, 'first rememberOnce');
        equal(await store.rememberOnce(key, h.now() + LONG), false, 'refused rememberOnce');
        await h.advance(ttl);
        equal(await store.rememberOnce(key, h.now() + LONG), true, 'rememberOnce after expiry');
      },
    ),
    one('rememberOnce: an expiresAt in the past remembers nothing', async (store, h) => {
      const key = `lock:${uid('l')}`;
      equal(await store.rememberOnce(key, h.now() - 1), true, 'rememberOnce already expired');
      equal(await store.rememberOnce(key, h.now() + LONG), true, 'rememberOnce afterwards');
    }),
    one('rememberOnce: keys that differ only in punctuation are distinct', async (store, h) => {
      const base = uid('k');
      const keys = [
        `assertion:a:b:${base}`,
        `assertion:a:b${base}`,
        `assertion:a{b}:${base}`,
        `assertion:{a}:b:${base}`,
        `assertion:a%3Ab:${base}`,
        `assertion:a b:${base}`,
        `assertion:ä:b:${base}`,
        `assertion:a\nb:${base}`,
      ];
      for (const key of keys) {
        equal(await store.rememberOnce(key, h.now() + LONG), true, `first rememberOnce of ${key}`);
      }
      for (const key of keys) {
        equal(await store.rememberOnce(key, h.now() + LONG), false, `again ${key}`);
      }
    }),
    many(
      `rememberOnce: ${STORE_RACE_CALLERS} concurrent calls with one key, exactly one accepted`,
      async (stores, h) => {
        const key = `assertion:https://idp.example.com/:${uid('_a')}`;
        const results = await Promise.all(
          Array.from({ length: STORE_RACE_CALLERS }, (_, i) =>
            (stores[i % stores.length] as SamlStore).rememberOnce(key, h.now() + LONG),
          ),
        );
        equal(results.filter((r) => r).length, 1, 'number of calls that got true');
      },
    ),
    many(
      `rememberOnce: ${STORE_RACE_CALLERS} concurrent calls with distinct keys all accepted`,
      async (stores, h) => {
        const base = uid('_a');
        const results = await Promise.all(
          Array.from({ length: STORE_RACE_CALLERS }, (_, i) =>
            (stores[i % stores.length] as SamlStore).rememberOnce(`${base}:${i}`, h.now() + LONG),
          ),
        );
        equal(results.filter((r) => r).length, STORE_RACE_CALLERS, 'number of calls that got true');
      },
    ),

    // Key spaces
    one(
      'key spaces: one string as request ID, replay key, session ID and value key',
      async (store, h) => {
        const key = uid('shared');
        await store.putPendingRequest(key, pending(key, h.now()), h.now() + LONG);
        equal(
          await store.rememberOnce(key, h.now() + LONG),
          true,
          'rememberOnce of the request ID',
        );
        equal(await store.getSession(key), undefined, 'getSession of the request ID');
        equal(await store.getValue(key), undefined, 'getValue of the request ID');
        const s = session(h.now(), LONG, { id: key, issuer: 'https://idp/', nameId: 'u' });
        await store.putSession(s);
        await store.setValue(key, 'value', h.now() + LONG);
        equal((await store.takePendingRequest(key))?.id, key, 'take after the others were written');
        equal(await store.getSession(key), s, 'session after the others were written');
        equal(await store.getValue(key), 'value', 'value after the others were written');
      },
    ),

    // Sessions
    one(
      'session: put then get returns an equal record; unknown IDs are undefined',
      async (store, h) => {
        const s = session(h.now(), LONG, {
          issuer: 'https://idp.example.com/',
          nameId: 'zoë@example.com',
          nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
          nameQualifier: 'https://idp.example.com/',
          spNameQualifier: 'https://sp.example.com/',
          sessionIndex: '_si-1',
          authnInstant: h.now() - 1000,
          attributes: { mail: ['zoe@example.com'], groups: ['a', 'b', 'ä ☃'], none: [] },
          data: { roles: ['admin'], counter: 3, flags: { beta: true }, nothing: null },
        });
        await store.putSession(s);
        equal(await store.getSession(s.id), s, 'getSession');
        equal(await store.getSession(uid('sess')), undefined, 'getSession of an unknown ID');
      },
    ),
    one('session: expires at expiresAt and leaves the SLO index', async (store, h) => {
      const issuer = uid('https://idp/');
      const short = session(h.now(), ttlOf(h), { issuer, nameId: 'u', sessionIndex: 'i1' });
      const kept = session(h.now() + 1, LONG, { issuer, nameId: 'u', sessionIndex: 'i2' });
      await store.putSession(short);
      await store.putSession(kept);
      equal(ids(await store.findSessions({ issuer, nameId: 'u' })), [short.id, kept.id], 'before');
      await h.advance(ttlOf(h));
      equal(await store.getSession(short.id), undefined, 'getSession after expiry');
      equal(ids(await store.findSessions({ issuer, nameId: 'u' })), [kept.id], 'find after expiry');
      equal(
        await store.findSessions({ issuer, nameId: 'u', sessionIndex: 'i1' }),
        [],
        'find by the expired SessionIndex',
      );
      equal(await store.touchSession(short.id, h.now() + LONG), false, 'touch after expiry');
      equal(await store.deleteSession(short.id), false, 'delete after expiry');
    }),
    one('session: an expiresAt in the past stores nothing', async (store, h) => {
      const issuer = uid('https://idp/');
      const s = session(h.now() - 10, 5, { issuer, nameId: 'u' });
      await store.putSession(s);
      equal(await store.getSession(s.id), undefined, 'getSession');
      equal(await store.findSessions({ issuer, nameId: 'u' }), [], 'findSessions');
    }),
    one('session: touch moves the expiry and keeps it in the SLO index', async (store, h) => {
      const issuer = uid('https://idp/');
      const ttl = ttlOf(h);
      const s = session(h.now(), ttl, { issuer, nameId: 'u', sessionIndex: 'i' });
      await store.putSession(s);
      const later = h.now() + 20 * ttl;
      equal(await store.touchSession(s.id, later), true, 'touch of a live session');
      await h.advance(2 * ttl);
      const touched = { ...s, expiresAt: later };
      equal(await store.getSession(s.id), touched, 'getSession after the old expiry');
      equal(
        await store.findSessions({ issuer, nameId: 'u', sessionIndex: 'i' }),
        [touched],
        'findSessions after the old expiry',
      );
    }),
    one('session: touch can shorten the expiry; unknown IDs give false', async (store, h) => {
      const issuer = uid('https://idp/');
      const s = session(h.now(), LONG, { issuer, nameId: 'u' });
      await store.putSession(s);
      equal(await store.touchSession(s.id, h.now() + ttlOf(h)), true, 'touch');
      await h.advance(ttlOf(h));
      equal(await store.getSession(s.id), undefined, 'getSession after the shortened expiry');
      equal(await store.findSessions({ issuer, nameId: 'u' }), [], 'findSessions after it');
      equal(await store.touchSession(uid('sess'), h.now() + LONG), false, 'touch of unknown ID');
    }),
    one('session: delete removes it from reads and from the SLO index, once', async (store, h) => {
      const issuer = uid('https://idp/');
      const a = session(h.now(), LONG, { issuer, nameId: 'u', sessionIndex: 'i' });
      const b = session(h.now() + 1, LONG, { issuer, nameId: 'u', sessionIndex: 'i' });
      await store.putSession(a);
      await store.putSession(b);
      equal(await store.deleteSession(a.id), true, 'first delete');
      equal(await store.deleteSession(a.id), false, 'second delete');
      equal(await store.getSession(a.id), undefined, 'getSession after delete');
      equal(ids(await store.findSessions({ issuer, nameId: 'u' })), [b.id], 'find after delete');
      equal(
        ids(await store.findSessions({ issuer, nameId: 'u', sessionIndex: 'i' })),
        [b.id],
        'find by SessionIndex after delete',
      );
      equal(await store.touchSession(a.id, h.now() + LONG), false, 'touch after delete');
      equal(await store.deleteSession(b.id), true, 'delete of the last session');
      equal(await store.findSessions({ issuer, nameId: 'u' }), [], 'find after deleting all');
    }),
    one('SLO index: by issuer and NameID, with and without SessionIndex', async (store, h) => {
      const issuer = uid('https://idp.example.com/');
      const other = `${issuer}other`;
      const t = h.now();
      const s1 = session(t, LONG, { issuer, nameId: 'alice', sessionIndex: 'A' });
      const s2 = session(t + 1, LONG, { issuer, nameId: 'alice', sessionIndex: 'B' });
      const s3 = session(t + 2, LONG, { issuer, nameId: 'alice' });
      const s4 = session(t + 3, LONG, { issuer, nameId: 'bob', sessionIndex: 'A' });
      const s5 = session(t + 4, LONG, { issuer: other, nameId: 'alice', sessionIndex: 'A' });
      const s6 = session(t + 5, LONG, { issuer, nameId: 'alice', sessionIndex: 'A' });
      for (const s of [s6, s5, s4, s3, s2, s1]) await store.putSession(s);
      const find = (nameId: string, sessionIndex?: string, iss = issuer) =>
        store.findSessions(
          sessionIndex === undefined
            ? { issuer: iss, nameId }
            : { issuer: iss, nameId, sessionIndex },
        );
      equal(await find('alice'), [s1, s2, s3, s6], 'alice at the issuer (ordered by createdAt)');
      equal(ids(await find('alice', 'A')), [s1.id, s6.id], 'alice with SessionIndex A');
      equal(ids(await find('alice', 'B')), [s2.id], 'alice with SessionIndex B');
      equal(await find('alice', 'C'), [], 'alice with an unknown SessionIndex');
      equal(ids(await find('bob')), [s4.id], 'bob');
      equal(ids(await find('alice', undefined, other)), [s5.id], 'alice at the other issuer');
      equal(await find('ALICE'), [], 'NameID compared exactly');
      equal(await find('carol'), [], 'unknown NameID');
    }),
    one('SLO index: NameID and issuer are not confused by separators', async (store, h) => {
      const base = uid('x');
      const a = session(h.now(), LONG, { issuer: `${base}:a`, nameId: 'b:c' });
      const b = session(h.now() + 1, LONG, { issuer: `${base}:a:b`, nameId: 'c' });
      await store.putSession(a);
      await store.putSession(b);
      equal(ids(await store.findSessions({ issuer: `${base}:a`, nameId: 'b:c' })), [a.id], 'a');
      equal(ids(await store.findSessions({ issuer: `${base}:a:b`, nameId: 'c' })), [b.id], 'b');
    }),
    one(
      'SLO index: replacing a session moves it to its new NameID and SessionIndex',
      async (store, h) => {
        const issuer = uid('https://idp/');
        const s = session(h.now(), LONG, { issuer, nameId: 'old', sessionIndex: 'i1' });
        await store.putSession(s);
        const replaced = { ...s, nameId: 'new', sessionIndex: 'i2', attributes: { a: ['1'] } };
        await store.putSession(replaced);
        equal(await store.getSession(s.id), replaced, 'getSession after replace');
        equal(await store.findSessions({ issuer, nameId: 'old' }), [], 'find under the old NameID');
        equal(
          await store.findSessions({ issuer, nameId: 'new', sessionIndex: 'i1' }),
          [],
          'find under the old SessionIndex',
        );
        equal(
          await store.findSessions({ issuer, nameId: 'new', sessionIndex: 'i2' }),
          [replaced],
          'find under the new SessionIndex',
        );
        const moved = { ...replaced, issuer: `${issuer}2` };
        await store.putSession(moved);
        equal(await store.findSessions({ issuer, nameId: 'new' }), [], 'find under the old issuer');
        equal(
          ids(await store.findSessions({ issuer: moved.issuer, nameId: 'new' })),
          [s.id],
          'new issuer',
        );
      },
    ),
    one('SLO index: replacing a session with an expired one removes it', async (store, h) => {
      const issuer = uid('https://idp/');
      const s = session(h.now(), LONG, { issuer, nameId: 'u' });
      await store.putSession(s);
      await store.putSession({ ...s, expiresAt: h.now() - 1 });
      equal(await store.getSession(s.id), undefined, 'getSession');
      equal(await store.findSessions({ issuer, nameId: 'u' }), [], 'findSessions');
    }),
    many(
      `SLO index: ${STORE_RACE_CALLERS} concurrent logins and deletes of one user stay consistent`,
      async (stores, h) => {
        const issuer = uid('https://idp/');
        const all = Array.from({ length: STORE_RACE_CALLERS }, (_, i) =>
          session(h.now() + i, LONG, { issuer, nameId: 'u', sessionIndex: `i${i % 5}` }),
        );
        const node = (i: number) => stores[i % stores.length] as SamlStore;
        await Promise.all(all.map((s, i) => node(i).putSession(s)));
        equal(ids(await node(1).findSessions({ issuer, nameId: 'u' })), ids(all), 'after logins');
        const deleted = await Promise.all(
          all.map((s, i) =>
            i % 2 === 0 ? node(i + 1).deleteSession(s.id) : Promise.resolve(false),
          ),
        );
        equal(
          deleted.filter((d) => d).length,
          STORE_RACE_CALLERS / 2,
          'deletes that found a session',
        );
        const left = all.filter((_, i) => i % 2 === 1);
        equal(ids(await node(2).findSessions({ issuer, nameId: 'u' })), ids(left), 'after deletes');
        equal(
          ids(await node(0).findSessions({ issuer, nameId: 'u', sessionIndex: 'i1' })),
          ids(left.filter((s) => s.sessionIndex === 'i1')),
          'after deletes, by SessionIndex',
        );
      },
    ),
    many(
      'session: written on one node, read, touched and deleted on others',
      async ([a, b, c], h) => {
        const issuer = uid('https://idp/');
        const s = session(h.now(), LONG, { issuer, nameId: 'u', sessionIndex: 'i' });
        await a?.putSession(s);
        equal(await b?.getSession(s.id), s, 'getSession on another node');
        const later = h.now() + 2 * LONG;
        equal(await c?.touchSession(s.id, later), true, 'touch on a third node');
        equal((await a?.getSession(s.id))?.expiresAt, later, 'touched expiry');
        equal(
          ids((await b?.findSessions({ issuer, nameId: 'u', sessionIndex: 'i' })) ?? []),
          [s.id],
          'find',
        );
        equal(await c?.deleteSession(s.id), true, 'delete on a third node');
        equal(await a?.findSessions({ issuer, nameId: 'u' }), [], 'find after delete');
      },
    ),

    // Shared values
    one('values: set, get, overwrite; unknown keys are undefined', async (store, h) => {
      const key = uid('metadata');
      equal(await store.getValue(key), undefined, 'getValue before setValue');
      const big = `<md:EntityDescriptor>${'x'.repeat(200_000)}☃</md:EntityDescriptor>`;
      await store.setValue(key, big, h.now() + LONG);
      equal(await store.getValue(key), big, 'getValue of a large value');
      await store.setValue(key, '', h.now() + LONG);
      equal(await store.getValue(key), '', 'getValue of an empty value after overwrite');
    }),
    one('values: expire at expiresAt; an overwrite sets the new expiry', async (store, h) => {
      const a = uid('v');
      const b = uid('v');
      const ttl = ttlOf(h);
      await store.setValue(a, 'a', h.now() + ttl);
      await store.setValue(b, 'b1', h.now() + ttl);
      await store.setValue(b, 'b2', h.now() + LONG);
      await h.advance(ttl);
      equal(await store.getValue(a), undefined, 'getValue after expiry');
      equal(await store.getValue(b), 'b2', 'getValue of the overwritten value');
      await store.setValue(b, 'b3', h.now() - 1);
      equal(await store.getValue(b), undefined, 'getValue after an already-expired overwrite');
    }),
  ];
}

/**
 * Registers every conformance case with a test framework, so a store proves it keeps the
 * guarantees of `SamlStore`.
 *
 * @param harness - opens stores and lets time pass (see {@link StoreConformanceHarness})
 * @param options - the framework's `test` function (and an optional filter)
 *
 * @example A vitest suite for a custom store
 * ```ts
 * import { test } from 'vitest';
 * import { runStoreConformance } from '@samlkit/testkit';
 *
 * let now = Date.now();
 * runStoreConformance(
 *   {
 *     open: async (nodes) => { const s = new MyStore({ now: () => now }); return Array(nodes).fill(s); },
 *     now: () => now,
 *     advance: async (ms) => { now += ms; },
 *   },
 *   { test },
 * );
 * ```
 * @see storeConformanceCases for the list of cases
 */
export function runStoreConformance(
  harness: StoreConformanceHarness,
  options: StoreConformanceOptions,
): void {
  for (const c of storeConformanceCases()) {
    if (options.only && !options.only.some((s) => c.name.includes(s))) continue;
    options.test(c.name, () => c.run(harness));
  }
}
