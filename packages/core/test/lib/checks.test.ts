import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSamlError } from '../../src/errors.js';
import {
  checkDestination,
  checkInResponseTo,
  checkIssuer,
  checkTimeWindow,
} from '../../src/lib/checks.js';
import { assertSuccessStatus, parseStatus } from '../../src/lib/status.js';
import { parseXml } from '../../src/lib/xml.js';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!isSamlError(err)) throw err;
    return err.code;
  }
}

describe('checkTimeWindow', () => {
  it('accepts exactly [notBefore - skew, notOnOrAfter + skew)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 10 ** 7 }),
        fc.integer({ min: 0, max: 10 ** 6 }),
        fc.integer({ min: -(10 ** 7), max: 2 * 10 ** 7 }),
        (notBefore, length, skew, offset) => {
          const notOnOrAfter = notBefore + length;
          const now = notBefore + offset;
          const code = codeOf(() => checkTimeWindow({ notBefore, notOnOrAfter }, now, skew, 'w'));
          if (now + skew < notBefore) expect(code).toBe('NOT_YET_VALID');
          else if (now - skew >= notOnOrAfter) expect(code).toBe('EXPIRED');
          else expect(code).toBeUndefined();
        },
      ),
    );
  });

  it('is expired at NotOnOrAfter itself (the bound is exclusive)', () => {
    expect(codeOf(() => checkTimeWindow({ notOnOrAfter: 1000 }, 1000, 0, 'w'))).toBe('EXPIRED');
    expect(codeOf(() => checkTimeWindow({ notOnOrAfter: 1000 }, 999, 0, 'w'))).toBeUndefined();
    expect(codeOf(() => checkTimeWindow({ notBefore: 1000 }, 1000, 0, 'w'))).toBeUndefined();
  });
});

describe('checkInResponseTo', () => {
  it('follows the policy', () => {
    expect(codeOf(() => checkInResponseTo('_a', { expected: '_a' }, 'x'))).toBeUndefined();
    expect(codeOf(() => checkInResponseTo('_a', { expected: ['_b', '_a'] }, 'x'))).toBeUndefined();
    expect(codeOf(() => checkInResponseTo('_a', { expected: '_b' }, 'x'))).toBe(
      'IN_RESPONSE_TO_MISMATCH',
    );
    expect(codeOf(() => checkInResponseTo('_a', {}, 'x'))).toBe('IN_RESPONSE_TO_MISMATCH');
    expect(codeOf(() => checkInResponseTo(undefined, { expected: '_a' }, 'x'))).toBe(
      'UNSOLICITED_RESPONSE',
    );
    expect(
      codeOf(() => checkInResponseTo(undefined, { allowUnsolicited: true }, 'x')),
    ).toBeUndefined();
    expect(codeOf(() => checkInResponseTo('_z', { skip: true }, 'x'))).toBeUndefined();
  });
});

describe('checkIssuer and checkDestination', () => {
  const doc = (inner: string, attrs = '') =>
    parseXml(
      `<samlp:LogoutResponse xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}"${attrs}>${inner}</samlp:LogoutResponse>`,
    ).documentElement;

  it('compares the Issuer text (comments skipped) and its Format', () => {
    const el = doc('<saml:Issuer>https://idp<!---->.example</saml:Issuer>');
    expect(checkIssuer(el, 'https://idp.example', true)).toBe('https://idp.example');
    expect(codeOf(() => checkIssuer(el, 'https://idp', true))).toBe('ISSUER_MISMATCH');
    const wrongFormat = doc(
      '<saml:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">x</saml:Issuer>',
    );
    expect(codeOf(() => checkIssuer(wrongFormat, undefined, true))).toBe('XML_INVALID_VALUE');
    expect(checkIssuer(doc(''), 'x', false)).toBeUndefined();
    expect(codeOf(() => checkIssuer(doc(''), 'x', true))).toBe('XML_MISSING_ELEMENT');
  });

  it('compares Destination when present, or always when required', () => {
    const el = doc('', ' Destination="https://sp/slo"');
    expect(checkDestination(el, ['https://sp/acs', 'https://sp/slo'])).toBe('https://sp/slo');
    expect(codeOf(() => checkDestination(el, ['https://sp/acs']))).toBe('DESTINATION_MISMATCH');
    expect(checkDestination(doc(''), ['https://sp/acs'])).toBeUndefined();
    expect(codeOf(() => checkDestination(doc(''), ['https://sp/acs'], true))).toBe(
      'DESTINATION_MISMATCH',
    );
  });
});

describe('status', () => {
  const msg = (status: string) =>
    parseXml(`<samlp:LogoutResponse xmlns:samlp="${SAMLP}">${status}</samlp:LogoutResponse>`)
      .documentElement;

  it('reads nested codes and the message', () => {
    const el = msg(
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode><samlp:StatusMessage> no </samlp:StatusMessage></samlp:Status>`,
    );
    expect(parseStatus(el)).toEqual({
      codes: [
        'urn:oasis:names:tc:SAML:2.0:status:Requester',
        'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
      ],
      message: 'no',
      success: false,
    });
    expect(codeOf(() => assertSuccessStatus(el, 'LogoutResponse'))).toBe('STATUS_NOT_SUCCESS');
  });

  it('accepts Success and refuses a missing Status or Value', () => {
    const ok = msg(
      '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>',
    );
    expect(assertSuccessStatus(ok, 'x').success).toBe(true);
    expect(codeOf(() => parseStatus(msg('')))).toBe('XML_MISSING_ELEMENT');
    expect(codeOf(() => parseStatus(msg('<samlp:Status><samlp:StatusCode/></samlp:Status>')))).toBe(
      'XML_MISSING_ELEMENT',
    );
  });
});
