import { describeValue, SamlError } from '../errors.js';

/**
 * An `xs:duration` value split into its components, as metadata's `cacheDuration` carries it.
 * Components are non-negative; `negative` applies to the whole duration.
 */
export interface XsDuration {
  readonly negative: boolean;
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  /** Seconds, possibly fractional. */
  readonly seconds: number;
}

// XML Schema part 2 §3.2.6.1: PnYnMnDTnHnMnS, each part optional, at least one present, T only
// when a time part follows, fractions only on seconds.
const DURATION =
  /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * Parses an `xs:duration` such as `PT6H`, `P1D` or `P1Y2M3DT4H5M6.5S`.
 *
 * @param value - the lexical value (surrounding whitespace is ignored, as the schema collapses it)
 * @returns the components
 * @throws SamlError `XML_INVALID_VALUE` when the text is not a valid `xs:duration`
 *
 * @example Reading metadata's cacheDuration
 * ```ts
 * const d = parseDuration('PT6H');
 * const refreshAt = addDuration(Date.now(), d);
 * ```
 *
 * @see XML Schema part 2 §3.2.6 (duration); SAML 2.0 metadata §2.2.4 (cacheDuration)
 */
export function parseDuration(value: string): XsDuration {
  if (typeof value !== 'string') throw new TypeError('parseDuration: value must be a string');
  const text = value.trim();
  const m = DURATION.exec(text);
  // "P" alone and "PT" with nothing after it match the pattern but are invalid (§3.2.6.1).
  if (!m || text.endsWith('P') || text.endsWith('T')) {
    throw new SamlError('XML_INVALID_VALUE', 'The value is not an xs:duration.', {
      expected: 'an xs:duration such as PT6H or P1D (XML Schema part 2 §3.2.6)',
      found: describeValue(value),
    });
  }
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  const parts = {
    negative: m[1] === '-',
    years: n(m[2]),
    months: n(m[3]),
    days: n(m[4]),
    hours: n(m[5]),
    minutes: n(m[6]),
    seconds: n(m[7]),
  };
  for (const v of Object.values(parts)) {
    if (typeof v === 'number' && !Number.isSafeInteger(Math.floor(v))) {
      throw new SamlError('XML_INVALID_VALUE', 'The xs:duration is out of range.', {
        expected: 'components small enough to be exact',
        found: describeValue(value),
      });
    }
  }
  return Object.freeze(parts);
}

/**
 * Adds a duration to an instant, using calendar arithmetic for years and months (XML Schema
 * part 2 appendix E: months are added first, the day is pinned to the end of a shorter month,
 * then days and the time part are added).
 *
 * @param epochMs - the start instant (epoch milliseconds, UTC)
 * @param duration - the duration from {@link parseDuration}
 * @returns the resulting instant in epoch milliseconds
 * @throws TypeError when `epochMs` is not finite
 *
 * @example When does cached metadata go stale?
 * ```ts
 * const staleAt = addDuration(fetchedAt, parseDuration('P1D'));
 * ```
 *
 * @see XML Schema part 2 appendix E (adding durations to dateTimes)
 */
export function addDuration(epochMs: number, duration: XsDuration): number {
  if (!Number.isFinite(epochMs)) throw new TypeError('addDuration: epochMs must be finite');
  const sign = duration.negative ? -1 : 1;
  const start = new Date(epochMs);
  const totalMonths =
    start.getUTCFullYear() * 12 +
    start.getUTCMonth() +
    sign * (duration.years * 12 + duration.months);
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(start.getUTCDate(), lastDay);
  const shifted = new Date(0);
  shifted.setUTCFullYear(year, month, day);
  shifted.setUTCHours(
    start.getUTCHours(),
    start.getUTCMinutes(),
    start.getUTCSeconds(),
    start.getUTCMilliseconds(),
  );
  const fixed =
    ((duration.days * 24 + duration.hours) * 60 + duration.minutes) * 60_000 +
    Math.round(duration.seconds * 1000);
  return shifted.getTime() + sign * fixed;
}
