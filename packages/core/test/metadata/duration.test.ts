import { SamlError } from '@samlkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDuration, parseDuration } from '../../src/metadata/duration.js';

const H = 3600_000;

describe('parseDuration (xs:duration)', () => {
  it('reads the forms metadata uses', () => {
    expect(parseDuration('PT6H')).toMatchObject({ hours: 6, days: 0, negative: false });
    expect(parseDuration(' P1D ')).toMatchObject({ days: 1 });
    expect(parseDuration('P1Y2M3DT4H5M6.5S')).toEqual({
      negative: false,
      years: 1,
      months: 2,
      days: 3,
      hours: 4,
      minutes: 5,
      seconds: 6.5,
    });
    expect(parseDuration('-PT1M').negative).toBe(true);
  });

  it.each([
    '',
    'P',
    'PT',
    'P1DT',
    '6h',
    'PT1.5H',
    'P-1D',
    'P1S',
    'T1H',
    'P1D2H',
    'PT1H1H',
    'P1Y1Y',
  ])('refuses %j with XML_INVALID_VALUE', (v) => {
    try {
      parseDuration(v);
      expect.unreachable();
    } catch (e) {
      expect((e as SamlError).code).toBe('XML_INVALID_VALUE');
    }
  });

  it('adds calendar months, pinning the day to the end of a shorter month', () => {
    const jan31 = Date.parse('2026-01-31T10:00:00Z');
    expect(new Date(addDuration(jan31, parseDuration('P1M'))).toISOString()).toBe(
      '2026-02-28T10:00:00.000Z',
    );
    expect(new Date(addDuration(jan31, parseDuration('P1Y1M'))).toISOString()).toBe(
      '2027-02-28T10:00:00.000Z',
    );
    expect(new Date(addDuration(jan31, parseDuration('-P2M'))).toISOString()).toBe(
      '2025-11-30T10:00:00.000Z',
    );
    expect(addDuration(jan31, parseDuration('PT6H')) - jan31).toBe(6 * H);
  });

  const parts = fc.record({
    days: fc.integer({ min: 0, max: 5000 }),
    hours: fc.integer({ min: 0, max: 100 }),
    minutes: fc.integer({ min: 0, max: 100 }),
    millis: fc.integer({ min: 0, max: 59_999 }),
  });
  const render = (p: { days: number; hours: number; minutes: number; millis: number }) =>
    `P${p.days}DT${p.hours}H${p.minutes}M${(p.millis / 1000).toFixed(3)}S`;

  it('property: without months and years, the duration is a fixed number of milliseconds', () => {
    fc.assert(
      fc.property(parts, fc.integer({ min: 0, max: 4_000_000_000_000 }), (p, start) => {
        const ms = ((p.days * 24 + p.hours) * 60 + p.minutes) * 60_000 + p.millis;
        const d = parseDuration(render(p));
        expect(addDuration(start, d) - start).toBe(ms);
        expect(addDuration(start, parseDuration(`-${render(p)}`)) - start).toBe(-ms);
      }),
    );
  });

  it('property: adding a longer duration never gives an earlier instant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (a, b, start) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(addDuration(start, parseDuration(`P${hi}M`))).toBeGreaterThanOrEqual(
            addDuration(start, parseDuration(`P${lo}M`)),
          );
        },
      ),
    );
  });

  it('property: any text the grammar refuses is a SamlError, never a crash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        try {
          const d = parseDuration(s);
          expect(Number.isFinite(addDuration(0, d))).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(SamlError);
        }
      }),
    );
  });
});
