// What the ACS parks under a finish code is made of JSON values only, so every store — one that
// serialises (MemoryStore, Redis) or one that keeps the object — gives the finish step the same
// login: a record put is equal to its own JSON round trip, for logins with and without the
// optional parts (attributes of every shape, NameID format, SessionIndex, context class).
import { MemoryStore, type PendingRequest } from '@samlkit/core';
import { describe, expect, test } from 'vitest';
import { fullLogin, setup, wrapStore } from './support.js';

describe('the finish record', () => {
  test('holds JSON values only, and the login it holds completes', async () => {
    const inner = new MemoryStore();
    const put: PendingRequest[] = [];
    const store = wrapStore(inner, {
      putPendingRequest: (id, record, expiresAt) => {
        put.push(record);
        return inner.putPendingRequest(id, record, expiresAt);
      },
    });
    const s = await setup({ store });
    const answers = [
      {},
      {
        nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        sessionIndex: '_s1',
        authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password',
        attributes: [
          {
            name: 'urn:oid:0.9.2342.19200300.100.1.3',
            friendlyName: 'mail',
            values: ['a@x', 'b@x'],
          },
          { name: 'empty', values: [''], valueType: null },
          {
            name: 'age',
            nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
            values: ['7'],
            valueType: 'xs:integer',
          },
        ],
      },
    ];
    for (const answer of answers) {
      put.length = 0;
      const done = await fullLogin(s, answer, '?returnTo=%2Fhere');
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe('/here');
      const finish = put.find((r) => r.data?.['finish'] !== undefined);
      expect(finish).toBeDefined();
      expect(JSON.parse(JSON.stringify(finish))).toStrictEqual(finish);
    }
  });
});
