import {
  isSamlError,
  type ValidateResponseOptions,
  validateLogoutRequest,
  validateResponse,
} from '@samlkit/core';
import {
  buildLogoutRequest,
  buildResponse,
  generateTestKeys,
  type TestKeys,
} from '@samlkit/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

// Identities come back exactly as signed. NameID, SessionIndex and attribute values are
// xs:string (SAML core §2.2.3, §2.7.2, §2.7.3.1, §3.7.1): no trimming at all, not even of XML
// white space, and never of the Unicode spaces JS trim() strips (U+00A0, U+2000–U+200A, U+3000,
// U+FEFF, …). Any XML-legal value is returned byte-identical, or the message is refused with a
// SamlError code — never turned into another value.

const IDP = 'https://idp.example.org/saml';
const SP = 'https://sp.example.com/saml/metadata';
const ACS = 'https://sp.example.com/saml/acs';
const SLO = 'https://sp.example.com/saml/slo';
const NOW = Date.UTC(2031, 4, 6, 12, 0, 0);

let idp: TestKeys;
beforeAll(async () => {
  idp = await generateTestKeys({ subject: 'idp' });
});

// Spaces of every kind, where trimming would bite: XML white space and the Unicode spaces.
const SPACES = [
  ' ',
  '\t',
  '\n',
  '\r',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u2005',
  '\u200a',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
  // Literal U+0085/U+2028/U+2029 are rewritten by the XML parser; the builders write them as
  // character references (XML 1.0 §4.1), which keep them, so they are included here.
  '\u0085',
  '\u2028',
  '\u2029',
];
// XML 1.0 §2.2 Char: no C0 controls but tab, LF, CR; no U+FFFE/U+FFFF; no lone surrogates.
function isXmlChar(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0d) return false;
    if (cp === 0xfffe || cp === 0xffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
  }
  return true;
}
const anyChar = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter(isXmlChar);
const xmlValue = fc
  .array(
    fc.oneof(
      { arbitrary: fc.constantFrom(...SPACES), weight: 1 },
      { arbitrary: anyChar, weight: 2 },
    ),
    {
      maxLength: 16,
    },
  )
  .map((cs) => cs.join(''));

function options(extra: Partial<ValidateResponseOptions> = {}): ValidateResponseOptions {
  return {
    sp: { entityId: SP, acsUrl: ACS },
    idp: { entityId: IDP, signingKeys: [idp.publicKey] },
    now: NOW,
    inResponseTo: '_req',
    ...extra,
  };
}

/**
 * A literal carriage return in signed text (written as `&#xD;`) does not verify today: the
 * canonicalization of text holding U+000D disagrees between signer and verifier (xml-c14n §2.3
 * asks for `&#xD;` in text), so such a message is refused with a SIGNATURE_* code — a refusal,
 * never another value. Everything else must be accepted unchanged.
 */
const hasCr = (...values: string[]) => values.some((v) => v.includes('\r'));
const blank = (v: string) => /^[ \t\r\n]*$/.test(v);

/** Runs `f`; a refusal must be a SamlError (its code is returned), anything else is a failure. */
async function outcome<T>(f: () => Promise<T>): Promise<{ ok: T } | { code: string }> {
  try {
    return { ok: await f() };
  } catch (err) {
    if (!isSamlError(err)) throw err;
    return { code: err.code };
  }
}

describe('identities come back exactly as signed', () => {
  it('validateResponse: NameID, SessionIndex, attribute values and the user id', async () => {
    await fc.assert(
      fc.asyncProperty(xmlValue, xmlValue, xmlValue, async (nameId, sessionIndex, value) => {
        for (const sign of ['assertion', 'response'] as const) {
          const xml = await buildResponse({
            idpEntityId: IDP,
            spEntityId: SP,
            acsUrl: ACS,
            now: NOW,
            inResponseTo: '_req',
            nameId: { value: nameId },
            sessionIndex,
            attributes: [{ name: 'uid', values: [value, 'second'] }],
            signingKey: idp,
            sign,
          });
          const byNameId = await outcome(() => validateResponse(xml, options()));
          if ('ok' in byNameId) {
            expect(byNameId.ok.nameId?.value).toBe(nameId);
            expect(byNameId.ok.userId).toBe(nameId);
            expect(byNameId.ok.sessionIndex).toBe(sessionIndex);
            expect(byNameId.ok.attributes.uid).toEqual([value, 'second']);
          } else if (byNameId.code === 'NAMEID_MISSING') {
            // Only an empty (or XML-white-space-only) NameID is refused for itself.
            expect(blank(nameId)).toBe(true);
          } else {
            expect(byNameId.code).toMatch(/^SIGNATURE_/);
            expect(hasCr(nameId, sessionIndex, value)).toBe(true);
          }
          const byAttribute = await outcome(() =>
            validateResponse(xml, options({ userIdAttribute: 'uid' })),
          );
          if ('ok' in byAttribute) {
            // The first value that is not empty, exactly as signed.
            expect(byAttribute.ok.userId).toBe(/^[ \t\r\n]*$/.test(value) ? 'second' : value);
          } else {
            // An empty NameID is refused even when the user id comes from an attribute.
            expect(hasCr(nameId, sessionIndex, value) || blank(nameId)).toBe(true);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('validateLogoutRequest: NameID and SessionIndex', async () => {
    const nonEmpty = xmlValue.filter((v) => v !== '');
    await fc.assert(
      fc.asyncProperty(
        nonEmpty,
        fc.array(nonEmpty, { maxLength: 3 }),
        fc.constantFrom('redirect', 'post', 'simpleSign', 'soap' as const),
        async (nameId, sessionIndexes, binding) => {
          const delivery = await buildLogoutRequest({
            idpEntityId: IDP,
            spSloUrl: SLO,
            nameId: { value: nameId },
            sessionIndexes,
            binding,
            signingKey: idp,
            now: NOW,
          });
          const r = await outcome(() =>
            validateLogoutRequest(delivery.incoming, {
              sp: { singleLogoutServices: [{ binding: 'redirect', location: SLO }] },
              idp: { entityId: IDP, signingKeys: [idp.publicKey] },
              now: NOW,
            }),
          );
          if ('ok' in r) {
            expect(r.ok.nameId.value).toBe(nameId);
            expect(r.ok.sessionIndexes).toEqual(sessionIndexes);
          } else if (r.code === 'NAMEID_MISSING') {
            expect(blank(nameId)).toBe(true);
          } else {
            expect(r.code).toMatch(/^SIGNATURE_/);
            expect(hasCr(nameId, ...sessionIndexes) && binding !== 'redirect').toBe(true);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the Unicode spaces JS trim() strips are kept (examples)', async () => {
    for (const v of ['\u00a0admin', 'admin\u3000', '\ufeffadmin', '\u2000admin\u200a', ' admin ']) {
      const xml = await buildResponse({
        idpEntityId: IDP,
        spEntityId: SP,
        acsUrl: ACS,
        now: NOW,
        inResponseTo: '_req',
        nameId: { value: v },
        sessionIndex: v,
        attributes: [{ name: 'uid', values: [v] }],
        signingKey: idp,
      });
      const r = await validateResponse(xml, options({ userIdAttribute: 'uid' }));
      expect(r.nameId?.value).toBe(v);
      expect(r.userId).toBe(v);
      expect(r.sessionIndex).toBe(v);
    }
  });
});
