import { isSamlError } from '@samlkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDateTime, parseDateTime } from '../../src/lib/datetime.js';

// xs:dateTime is parsed strictly (XML Schema part 2 §3.2.7; SAML core §1.3.3): an impossible
// instant is refused with XML_DATETIME_INVALID, never rolled over to another day.

function code(value: string): string {
  try {
    parseDateTime(value, 'T');
  } catch (err) {
    if (isSamlError(err)) return err.code;
    throw err;
  }
  return 'ACCEPTED';
}

const MIN = new Date('0001-01-01T00:00:00Z').getTime();
const MAX = new Date('9999-12-31T23:59:59.999Z').getTime();

describe('parseDateTime', () => {
  it('round-trips formatDateTime for every instant of the years 0001–9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN, max: MAX }), (ms) => {
        expect(parseDateTime(formatDateTime(ms), 'T')).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every day past the end of its month, leap years included', () => {
    const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        (y, m, d) => {
          const days = [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
          const p = (n: number, w = 2) => String(n).padStart(w, '0');
          const value = `${p(y, 4)}-${p(m)}-${p(d)}T12:00:00Z`;
          if (d <= days) {
            const t = parseDateTime(value, 'T');
            expect(formatDateTime(t)).toBe(`${p(y, 4)}-${p(m)}-${p(d)}T12:00:00.000Z`);
          } else {
            expect(code(value)).toBe('XML_DATETIME_INVALID');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    '2025-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-13-01T00:00:00Z',
    '2025-00-10T00:00:00Z',
    '2025-01-00T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '2025-01-01T25:00:00Z',
    '2025-01-01T24:00:01Z',
    '2025-01-01T24:30:00Z',
    '2025-01-01T24:00:00.5Z',
    '2025-01-01T12:60:00Z',
    '2025-01-01T12:00:60Z',
    '2025-01-01T12:00:00+14:01',
    '2025-01-01T12:00:00+15:00',
    '2025-01-01T12:00:00-03:60',
  ])('refuses the impossible instant %s with XML_DATETIME_INVALID', (v) => {
    expect(code(v)).toBe('XML_DATETIME_INVALID');
  });

  it.each([
    '2025-01-01T12:00:00',
    '2025-01-01 12:00:00Z',
    '2025-1-01T12:00:00Z',
    '+2025-01-01T12:00:00Z',
    '2025-01-01T12:00:00z',
    '2025-01-01T12:00Z',
    ' 2025-01-01T12:00:00Z',
    'yesterday',
  ])('refuses %j (not an xs:dateTime with a time zone) with XML_INVALID_VALUE', (v) => {
    expect(code(v)).toBe('XML_INVALID_VALUE');
  });

  it('accepts leap days, 24:00:00, fractions and offsets, normalized to UTC', () => {
    expect(parseDateTime('2024-02-29T00:00:00Z', 'T')).toBe(Date.UTC(2024, 1, 29));
    expect(parseDateTime('2000-02-29T00:00:00Z', 'T')).toBe(Date.UTC(2000, 1, 29));
    expect(parseDateTime('2024-12-31T24:00:00Z', 'T')).toBe(Date.UTC(2025, 0, 1));
    expect(parseDateTime('2024-12-31T24:00:00.000Z', 'T')).toBe(Date.UTC(2025, 0, 1));
    expect(parseDateTime('2024-01-01T00:00:00.1239Z', 'T')).toBe(Date.UTC(2024, 0, 1) + 123);
    expect(parseDateTime('2024-01-01T02:30:00+02:30', 'T')).toBe(Date.UTC(2024, 0, 1));
    expect(parseDateTime('2023-12-31T21:00:00-03:00', 'T')).toBe(Date.UTC(2024, 0, 1));
    expect(parseDateTime('0001-01-01T00:00:00Z', 'T')).toBe(MIN);
  });
});
