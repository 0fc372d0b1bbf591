// Store conformance cases: separate key spaces, sessions and the SLO index, shared values.
import type { SamlStore } from '@samlkit/core';
import {
  equal,
  ids,
  LONG,
  many,
  one,
  pending,
  STORE_RACE_CALLERS,
  session,
  ttlOf,
  uid,
} from './support.js';
import type { StoreConformanceCase } from './types.js';

/** The cases of key spaces, sessions and the SLO index, and shared values. */
export function sessionCases(): StoreConformanceCase[] {
  return [
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
