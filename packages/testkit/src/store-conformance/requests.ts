// Store conformance cases: pending requests (take-once) and the replay cache (set-if-absent).
import type { SamlStore } from '@samlkit/core';
import { equal, LONG, many, one, pending, STORE_RACE_CALLERS, ttlOf, uid } from './support.js';
import type { StoreConformanceCase } from './types.js';

/** The cases of pending requests and the replay cache. */
export function requestCases(): StoreConformanceCase[] {
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

    // Conditional take (SamlStore.takePendingRequest(id, expect)): an answer from another IdP, or
    // of another kind, must leave the request intact for its genuine answer.
    one(
      'pending request: a conditional take takes only a record of that kind and IdP',
      async (store, h) => {
        const id = uid('_req');
        const idp = 'https://idp.example.com/tenant "a" \\ \u0001 Zoë ☃ 𝄞';
        const record = pending(id, h.now(), { idpEntityId: idp, relayState: 'rs' });
        await store.putPendingRequest(id, record, h.now() + LONG);
        const others = [
          { kind: 'authn', idpEntityId: 'https://other-idp.example.com/' },
          { kind: 'logout', idpEntityId: idp },
          { kind: 'authn', idpEntityId: `${idp}/` },
          { kind: 'authn', idpEntityId: idp.slice(0, -2) },
          { kind: 'authn', idpEntityId: idp.toUpperCase() },
          { kind: 'authn', idpEntityId: '' },
        ] as const;
        for (const expect of others) {
          equal(
            await store.takePendingRequest(id, expect),
            undefined,
            `conditional take expecting ${JSON.stringify(expect)}`,
          );
        }
        equal(
          await store.takePendingRequest(id, { kind: 'authn', idpEntityId: idp }),
          record,
          'conditional take expecting its own kind and IdP, after the mismatching ones',
        );
        equal(
          await store.takePendingRequest(id, { kind: 'authn', idpEntityId: idp }),
          undefined,
          'second conditional take',
        );
        equal(
          await store.takePendingRequest(uid('_none'), { kind: 'authn', idpEntityId: idp }),
          undefined,
          'conditional take of an unknown ID',
        );
      },
    ),
    one(
      'pending request: a mismatching conditional take keeps the expiry it had',
      async (store, h) => {
        const id = uid('_req');
        const record = pending(id, h.now(), { kind: 'logout', nameId: 'u' });
        await store.putPendingRequest(id, record, h.now() + ttlOf(h));
        const other = { kind: 'logout', idpEntityId: 'https://other-idp.example.com/' } as const;
        equal(await store.takePendingRequest(id, other), undefined, 'mismatching take');
        await h.advance(ttlOf(h));
        const own = { kind: 'logout', idpEntityId: record.idpEntityId } as const;
        equal(await store.takePendingRequest(id, own), undefined, 'matching take after expiry');
      },
    ),
    many(
      `pending request: ${STORE_RACE_CALLERS} concurrent conditional takes, only the matching one gets it`,
      async (stores, h) => {
        const id = uid('_req');
        const record = pending(id, h.now());
        await stores[0]?.putPendingRequest(id, record, h.now() + LONG);
        // Every caller but the last answers from another IdP; the last is the genuine answer and
        // must find the record whatever the others did first.
        const results = await Promise.all(
          Array.from({ length: STORE_RACE_CALLERS }, (_, i) =>
            (stores[i % stores.length] as SamlStore).takePendingRequest(id, {
              kind: 'authn',
              idpEntityId:
                i === STORE_RACE_CALLERS - 1 ? record.idpEntityId : `https://idp-${i}.example.com/`,
            }),
          ),
        );
        equal(results.at(-1), record, 'the matching take');
        equal(
          results.filter((r) => r !== undefined).length,
          1,
          'number of takes that got the record',
        );
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
  ];
}
