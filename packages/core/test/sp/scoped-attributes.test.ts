import {
  DEFAULT_SCOPED_ATTRIBUTES,
  EDU_PERSON_PRINCIPAL_NAME,
  EDU_PERSON_SCOPED_AFFILIATION,
  filterScopedAttributes,
  type IdentityProviderConfig,
  type IdpScope,
  type SamlAttribute,
} from '@samlkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkScopedUserId } from '../../src/sp/identity.js';
import {
  checkScopedAttributes,
  scopedAttributePolicy,
  scopeGranted,
  scopeOf,
} from '../../src/sp/scoped-attributes.js';

const idp = (scopes: readonly IdpScope[]): IdentityProviderConfig => ({
  entityId: 'https://idp.example.edu/idp/shibboleth',
  singleSignOnServices: [{ binding: 'redirect', location: 'https://idp.example.edu/sso' }],
  signingKeys: [],
  scopes,
});

/** attributes by Name, built as validateResponse builds them from the list. */
function result(list: readonly SamlAttribute[]) {
  const attributes: Record<string, string[]> = {};
  for (const a of list) attributes[a.name] = [...(attributes[a.name] ?? []), ...a.values];
  return { attributes, attributeList: list };
}

const EXAMPLE = idp([
  { value: 'Example.edu' },
  { value: '^[a-z]+\\.example\\.edu$', regexp: true },
]);

describe('scopeOf', () => {
  it('takes the scope after exactly one @, with something on both sides', () => {
    expect(scopeOf('ann@example.edu')).toBe('example.edu');
    expect(scopeOf('member@dept.example.edu')).toBe('dept.example.edu');
    for (const v of ['ann', '@example.edu', 'ann@', 'ann@evil.org@example.edu', 'a@b@c', '']) {
      expect(scopeOf(v), v).toBeUndefined();
    }
    expect(scopeOf(`${'a'.repeat(1020)}@x.org`)).toBeUndefined();
  });
});

describe('filterScopedAttributes', () => {
  it('keeps values in a granted scope (case-insensitive, regexp whole-scope) and drops the rest', () => {
    const list: SamlAttribute[] = [
      {
        name: EDU_PERSON_PRINCIPAL_NAME,
        friendlyName: 'eduPersonPrincipalName',
        values: ['ann@EXAMPLE.edu'],
      },
      {
        name: EDU_PERSON_SCOPED_AFFILIATION,
        values: [
          'member@example.edu',
          'staff@library.example.edu',
          'faculty@other.org',
          'student',
          'student@library.example.edu.evil.org',
        ],
      },
      { name: 'urn:oid:2.5.4.42', values: ['Ann@other.org'] }, // givenName: not scoped
    ];
    const out = filterScopedAttributes(result(list), EXAMPLE);
    expect(out.attributes).toEqual({
      [EDU_PERSON_PRINCIPAL_NAME]: ['ann@EXAMPLE.edu'],
      [EDU_PERSON_SCOPED_AFFILIATION]: ['member@example.edu', 'staff@library.example.edu'],
      'urn:oid:2.5.4.42': ['Ann@other.org'],
    });
    expect(out.attributeList[1]!.values).toEqual([
      'member@example.edu',
      'staff@library.example.edu',
    ]);
    expect(out.attributeList[0]!.friendlyName).toBe('eduPersonPrincipalName');
    expect(out.dropped).toEqual([
      { name: EDU_PERSON_SCOPED_AFFILIATION, scope: 'other.org' },
      { name: EDU_PERSON_SCOPED_AFFILIATION, scope: undefined },
      { name: EDU_PERSON_SCOPED_AFFILIATION, scope: 'library.example.edu.evil.org' },
    ]);
  });

  it('removes an attribute left without values; an IdP without scopes keeps none', () => {
    const list = [{ name: EDU_PERSON_PRINCIPAL_NAME, values: ['ann@example.edu'] }];
    const out = filterScopedAttributes(result(list), idp([]));
    expect(out.attributes).toEqual({});
    expect(out.attributeList).toEqual([]);
    const noScopes = filterScopedAttributes(result(list), {
      ...EXAMPLE,
      scopes: undefined as never,
    });
    expect(noScopes.attributeList).toEqual([]);
  });

  it('refuses the Response with onMismatch: refuse', () => {
    const list = [{ name: EDU_PERSON_PRINCIPAL_NAME, values: ['ann@example.edu', 'eve@evil.org'] }];
    let error: unknown;
    try {
      filterScopedAttributes(result(list), EXAMPLE, { onMismatch: 'refuse' });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'ATTRIBUTE_SCOPE_MISMATCH',
      details: { found: 'scope "evil.org"', issuer: EXAMPLE.entityId },
    });
    // Nothing foreign: nothing refused.
    const fine = [{ name: EDU_PERSON_PRINCIPAL_NAME, values: ['ann@example.edu'] }];
    expect(filterScopedAttributes(result(fine), EXAMPLE, { onMismatch: 'refuse' }).dropped).toEqual(
      [],
    );
  });

  it('checks the names configured, and only those', () => {
    const list = [
      { name: 'urn:example:scoped', values: ['x@evil.org'] },
      { name: EDU_PERSON_PRINCIPAL_NAME, values: ['eve@evil.org'] },
    ];
    const out = filterScopedAttributes(result(list), EXAMPLE, { names: ['urn:example:scoped'] });
    expect(out.attributes).toEqual({ [EDU_PERSON_PRINCIPAL_NAME]: ['eve@evil.org'] });
    expect(DEFAULT_SCOPED_ATTRIBUTES).toContain(EDU_PERSON_PRINCIPAL_NAME);
  });

  it('property: a value whose scope is not granted is never kept', () => {
    const label = fc.stringMatching(/^[a-zA-Z0-9-]{1,6}$/);
    const scope = fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.'));
    const value = fc.oneof(
      fc.tuple(label, scope).map(([u, s]) => `${u}@${s}`),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(
        fc.array(scope, { maxLength: 3 }),
        fc.array(value, { maxLength: 6 }),
        (granted, values) => {
          const config = idp(granted.map((value) => ({ value })));
          const list = [{ name: EDU_PERSON_SCOPED_AFFILIATION, values }];
          const out = filterScopedAttributes(result(list), config);
          const kept = out.attributes[EDU_PERSON_SCOPED_AFFILIATION] ?? [];
          const lower = granted.map((g) => g.toLowerCase());
          for (const v of kept) {
            const s = scopeOf(v);
            expect(s).toBeDefined();
            expect(lower).toContain(s!.toLowerCase());
          }
          // And every value with a granted scope is kept; the rest are reported.
          expect(kept.length + out.dropped.length).toBe(values.length);
          expect(out.attributeList.flatMap((a) => a.values)).toEqual(kept);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('scopeGranted', () => {
  it('a regexp scope outside the supported syntax grants nothing', () => {
    expect(scopeGranted([{ value: '(?=x)example\\.edu', regexp: true }], 'example.edu')).toBe(
      false,
    );
    expect(scopeGranted([{ value: 'example\\.edu', regexp: true }], 'EXAMPLE.edu')).toBe(true);
    // Case folding is ASCII only: the Kelvin sign is not a k.
    expect(scopeGranted([{ value: 'kth.se' }], '\u212Ath.se')).toBe(false);
  });

  it('no regexp scope reaches RegExp, for attributes and subject-id user ids alike', () => {
    // RegExp would read \x65 as "e" and grant this; the linear-time matcher refuses the syntax.
    const hex = [{ value: '\\x65xample\\.edu', regexp: true }];
    expect(scopeGranted(hex, 'example.edu')).toBe(false);
    expect(new RegExp(`^(?:${hex[0]!.value})$`).test('example.edu')).toBe(true);
    expect(() =>
      checkScopedUserId(
        idp(hex),
        'urn:oasis:names:tc:SAML:attribute:subject-id',
        'ann@example.edu',
      ),
    ).toThrow(expect.objectContaining({ code: 'USER_ID_SCOPE_MISMATCH' }));
  });
});

describe('scopedAttributePolicy', () => {
  it('takes the IdP’s fields over the SP’s; false turns the check off', () => {
    expect(scopedAttributePolicy(undefined, undefined)).toEqual({
      names: new Set(DEFAULT_SCOPED_ATTRIBUTES),
      onMismatch: 'drop',
    });
    expect(scopedAttributePolicy(undefined, { onMismatch: 'refuse' })?.onMismatch).toBe('refuse');
    expect(
      scopedAttributePolicy({ onMismatch: 'drop' }, { onMismatch: 'refuse' })?.onMismatch,
    ).toBe('drop');
    expect(scopedAttributePolicy({ names: ['x'] }, { onMismatch: 'refuse' })).toEqual({
      names: new Set(['x']),
      onMismatch: 'refuse',
    });
    expect(scopedAttributePolicy(false, { onMismatch: 'refuse' })).toBeUndefined();
    expect(scopedAttributePolicy(undefined, false)).toBeUndefined();
    expect(scopedAttributePolicy({}, false)?.onMismatch).toBe('drop');
    expect(() => scopedAttributePolicy({ onMismatch: 'keep' as 'drop' }, undefined)).toThrow(
      TypeError,
    );
    expect(() => scopedAttributePolicy(undefined, { names: [''] })).toThrow(TypeError);
  });
});

describe('checkScopedAttributes (the SP step)', () => {
  const policy = scopedAttributePolicy(undefined, undefined);
  /** The SP step on `list` whose user id `userId` was taken from `userIdAttribute`. */
  const userIdCheck =
    (list: readonly SamlAttribute[], userId: string) => (userIdAttribute: string) => () =>
      checkScopedAttributes(
        { ...result(list), userId },
        EXAMPLE,
        policy,
        userIdAttribute,
        () => {},
      );
  it('refuses a user id from a scoped attribute outside the scopes, even when dropping', () => {
    const list = [
      { name: EDU_PERSON_PRINCIPAL_NAME, friendlyName: 'eppn', values: ['eve@evil.org'] },
    ];
    const run = userIdCheck(list, 'eve@evil.org');
    expect(run(EDU_PERSON_PRINCIPAL_NAME)).toThrow(
      expect.objectContaining({ code: 'USER_ID_SCOPE_MISMATCH' }),
    );
    expect(run('eppn')).toThrow(expect.objectContaining({ code: 'USER_ID_SCOPE_MISMATCH' }));
  });

  it('logs what it dropped: names and scopes, never the values', () => {
    const warnings: Array<[string, Record<string, unknown>]> = [];
    const list = [{ name: EDU_PERSON_PRINCIPAL_NAME, values: ['eve@evil.org'] }];
    const out = checkScopedAttributes(
      { ...result(list), userId: 'nameid' },
      EXAMPLE,
      policy,
      undefined,
      (m, d) => warnings.push([m, d]),
    );
    expect(out.attributes).toEqual({});
    expect(warnings).toEqual([
      [
        expect.stringContaining('dropped'),
        {
          code: 'ATTRIBUTE_SCOPE_MISMATCH',
          issuer: EXAMPLE.entityId,
          dropped: [{ name: EDU_PERSON_PRINCIPAL_NAME, scope: 'evil.org' }],
        },
      ],
    ]);
    expect(JSON.stringify(warnings)).not.toContain('eve');
    // Turned off: everything stays.
    const off = checkScopedAttributes(
      { ...result(list), userId: 'x' },
      EXAMPLE,
      undefined,
      undefined,
      () => {},
    );
    expect(off.attributes).toEqual({ [EDU_PERSON_PRINCIPAL_NAME]: ['eve@evil.org'] });
  });

  it('refuses a user id from an attribute scoped only by its FriendlyName (or by userIdAttribute)', () => {
    // A foreign Name with eduPersonPrincipalName's OID as FriendlyName: validateResponse takes
    // the user id from it when userIdAttribute is that OID.
    const list = [
      { name: 'urn:x:evil', friendlyName: EDU_PERSON_PRINCIPAL_NAME, values: ['alice@victim.edu'] },
    ];
    expect(userIdCheck(list, 'alice@victim.edu')(EDU_PERSON_PRINCIPAL_NAME)).toThrow(
      expect.objectContaining({ code: 'USER_ID_SCOPE_MISMATCH' }),
    );
    const named = [
      { name: 'urn:x:evil', friendlyName: 'eduPersonPrincipalName', values: ['alice@victim.edu'] },
    ];
    expect(userIdCheck(named, 'alice@victim.edu')('eduPersonPrincipalName')).toThrow(
      expect.objectContaining({ code: 'USER_ID_SCOPE_MISMATCH' }),
    );
  });

  it('property: whatever the Name and FriendlyName, a foreign scope never becomes the user id', () => {
    const names = fc.constantFrom(
      EDU_PERSON_PRINCIPAL_NAME,
      'eduPersonPrincipalName',
      'urn:mace:dir:attribute-def:eduPersonPrincipalName',
      'urn:x:evil',
      'mail',
    );
    fc.assert(
      fc.property(
        names,
        fc.option(names, { nil: undefined }),
        fc.constantFrom('evil.org', 'example.edu.evil.org', 'x.example.edu.org'),
        (name, friendlyName, scope) => {
          const a: SamlAttribute =
            friendlyName === undefined
              ? { name, values: [`alice@${scope}`] }
              : { name, friendlyName, values: [`alice@${scope}`] };
          const scoped = [name, friendlyName].some(
            (n) => n !== undefined && DEFAULT_SCOPED_ATTRIBUTES.includes(n),
          );
          for (const userIdAttribute of [name, friendlyName]) {
            if (userIdAttribute === undefined) continue;
            const run = userIdCheck([a], `alice@${scope}`)(userIdAttribute);
            if (scoped || DEFAULT_SCOPED_ATTRIBUTES.includes(userIdAttribute))
              expect(run).toThrow(expect.objectContaining({ code: 'USER_ID_SCOPE_MISMATCH' }));
          }
        },
      ),
    );
  });
});

describe('filterScopedAttributes by FriendlyName', () => {
  it('drops a foreign value of an attribute scoped only by its FriendlyName', () => {
    const list: SamlAttribute[] = [
      {
        name: 'urn:x:evil',
        friendlyName: EDU_PERSON_PRINCIPAL_NAME,
        values: ['alice@victim.edu', 'ann@example.edu'],
      },
      { name: 'urn:x:other', friendlyName: 'eduPersonScopedAffiliation', values: ['a@evil.org'] },
      { name: 'mail', friendlyName: 'mail', values: ['bob@evil.org'] },
    ];
    const out = filterScopedAttributes(result(list), EXAMPLE);
    expect(out.attributes).toEqual({
      'urn:x:evil': ['ann@example.edu'],
      mail: ['bob@evil.org'],
    });
    expect(out.attributeList.map((a) => a.name)).toEqual(['urn:x:evil', 'mail']);
    expect(out.dropped).toEqual([
      { name: 'urn:x:evil', scope: 'victim.edu' },
      { name: 'urn:x:other', scope: 'evil.org' },
    ]);
  });
});

describe('bounded cost of the scope check', () => {
  it('refuses a Response with more scoped values than MAX_SCOPED_VALUES, even when dropping', () => {
    const values = Array.from({ length: 1000 }, (_, i) => `u${i}@example.edu`);
    const list: SamlAttribute[] = [
      { name: 'urn:x:any', friendlyName: 'eduPersonScopedAffiliation', values },
    ];
    expect(() => filterScopedAttributes(result(list), EXAMPLE)).toThrow(
      expect.objectContaining({ code: 'ATTRIBUTE_SCOPE_MISMATCH' }),
    );
    expect(() =>
      checkScopedAttributes(
        { ...result(list), userId: 'nameid' },
        EXAMPLE,
        scopedAttributePolicy(undefined, undefined),
        undefined,
        () => {},
      ),
    ).toThrow(expect.objectContaining({ code: 'ATTRIBUTE_SCOPE_MISMATCH' }));
    // 256 are checked; unscoped attributes do not count.
    expect(
      filterScopedAttributes(
        result([
          { ...list[0]!, values: values.slice(0, 256) },
          { name: 'mail', values },
        ]),
        EXAMPLE,
      ).attributeList,
    ).toHaveLength(2);
  });

  it('regexp scopes after the 64th of an IdP grant nothing', () => {
    const many: IdpScope[] = Array.from({ length: 64 }, (_, i) => ({
      value: `^d${i}\\.example\\.org$`,
      regexp: true,
    }));
    expect(scopeGranted([...many], 'd63.example.org')).toBe(true);
    expect(
      scopeGranted([...many, { value: '^x\\.example\\.org$', regexp: true }], 'x.example.org'),
    ).toBe(false);
    // Literal scopes are not capped.
    expect(scopeGranted([...many, { value: 'x.example.org' }], 'x.example.org')).toBe(true);
  });
});
