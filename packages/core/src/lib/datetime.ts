// xs:dateTime as SAML uses it (XML Schema part 2 §3.2.7; SAML core §1.3.3).
import { describeValue, SamlError } from '../errors.js';

/**
 * Parses an xs:dateTime time value strictly (XML Schema part 2 §3.2.7; SAML core §1.3.3) to epoch
 * milliseconds. Accepted: `YYYY-MM-DDThh:mm:ss[.fraction]` with a year 0001–9999, followed by `Z`
 * or a `±hh:mm` offset (at most ±14:00), which is normalized to UTC. A value without a time zone
 * is refused: SAML times are UTC, and a zone-less time is a local time of an unknown place.
 * The date must exist in the proleptic Gregorian calendar (so `2025-02-30` and `2023-02-29` are
 * refused, never rolled over to March), hours 00–23 (24 only as `24:00:00`, the first instant of
 * the next day), minutes and seconds 00–59 (SAML core §1.3.3 forbids leap seconds). Fractional
 * seconds beyond the millisecond are truncated (SAML core §1.3.3: no finer resolution is relied on).
 *
 * @param value - the attribute value
 * @param what - the field, for the error message (e.g. `Response IssueInstant`)
 * @returns epoch milliseconds
 * @throws SamlError `XML_INVALID_VALUE` when the value is not an xs:dateTime with a time zone,
 *   `XML_DATETIME_INVALID` when it has the form but names no real instant
 * @internal
 */
export function parseDateTime(value: string, what: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(
    value,
  );
  if (!m) {
    throw new SamlError('XML_INVALID_VALUE', `${what} is not a UTC xs:dateTime.`, {
      expected: 'a UTC time such as 2024-01-31T12:00:00Z (SAML core §1.3.3)',
      found: describeValue(value),
    });
  }
  const invalid = (reason: string): SamlError =>
    new SamlError('XML_DATETIME_INVALID', `${what} is not a real instant.`, {
      expected:
        'an existing calendar date and time such as 2024-01-31T12:00:00Z (XML Schema part 2 §3.2.7)',
      found: `${describeValue(value)}: ${reason}`,
      hint: "the sender's clock or date serializer is broken",
    });
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const fraction = m[7] ?? '';
  const zone = m[8]!;
  // XML Schema part 2 §3.2.7 (1.0): there is no year 0000.
  if (year === 0) throw invalid('year 0000 does not exist');
  if (month < 1 || month > 12) throw invalid(`month ${m[2]} does not exist`);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day < 1 || day > daysInMonth) {
    throw invalid(`${m[1]}-${m[2]} has no day ${m[3]}`);
  }
  // §3.2.7: hour 24 is allowed only as 24:00:00 (with a zero fraction), the end of the day.
  if (hour > 24 || (hour === 24 && (minute !== 0 || second !== 0 || /[1-9]/.test(fraction)))) {
    throw invalid(`hour ${m[4]} is out of range`);
  }
  if (minute > 59) throw invalid(`minute ${m[5]} is out of range`);
  // SAML core §1.3.3: implementations MUST NOT generate leap seconds; 60 is refused.
  if (second > 59) throw invalid(`second ${m[6]} is out of range`);
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    // §3.2.7.3: the offset is at most 14:00 either way.
    if (om > 59 || oh > 14 || (oh === 14 && om !== 0)) {
      throw invalid(`time zone ${zone} is out of range`);
    }
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  // setUTCFullYear, unlike Date.UTC, takes years 0001–0099 literally.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime() - offsetMinutes * 60_000;
}

/**
 * Formats epoch milliseconds as the xs:dateTime SAML uses (UTC, millisecond precision); the
 * inverse of {@link parseDateTime} for instants in the years 0001–9999.
 * @throws RangeError when `ms` is not a finite time
 * @internal
 */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString();
}
