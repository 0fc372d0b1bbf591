import { SamlError } from '../errors.js';
import { formatDateTime } from './xml.js';

/** Default for how old (by IssueInstant) an incoming protocol message may be: 5 minutes. @internal */
export const DEFAULT_MAX_MESSAGE_AGE_MS: number = 5 * 60 * 1000;

/**
 * Normalizes a `now` option (Date or epoch ms) to epoch milliseconds.
 * @throws TypeError naming the function when it is not a valid time
 * @internal
 */
export function toEpochMs(now: unknown, fn: string, name = 'now'): number {
  const ms = now instanceof Date ? now.getTime() : now;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError(`${fn}: ${name} must be a valid Date or epoch milliseconds`);
  }
  return ms;
}

/**
 * Normalizes a non-negative duration option in milliseconds.
 * @throws TypeError naming the function when it is negative or not a number
 * @internal
 */
export function toDurationMs(value: unknown, fallback: number, fn: string, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new TypeError(`${fn}: ${name} must be a non-negative number of milliseconds`);
  }
  return value;
}

/**
 * Checks a protocol message's IssueInstant: not in the future beyond the clock skew, and not older
 * than `maxAgeMs` (plus the skew). Bounding the age bounds how long a replay-cache entry must live
 * for messages without NotOnOrAfter.
 *
 * @throws SamlError `NOT_YET_VALID`, `EXPIRED`
 * @see SAML core §3.2.1 (IssueInstant), §1.3.3 (time values); SAML profiles §4.4.4.1
 * @internal
 */
export function checkIssueInstant(
  issueInstant: number,
  now: number,
  skewMs: number,
  maxAgeMs: number,
  what: string,
): void {
  if (issueInstant > now + skewMs) {
    throw new SamlError('NOT_YET_VALID', `The ${what} was issued in the future.`, {
      expected: `IssueInstant at or before now (${formatDateTime(now)}) plus the clock skew of ${skewMs / 1000}s`,
      found: `IssueInstant ${formatDateTime(issueInstant)}`,
      hint: "the SP's and IdP's clocks disagree: synchronise both with NTP, or raise clockSkewMs a little",
    });
  }
  if (now - skewMs - maxAgeMs > issueInstant) {
    throw new SamlError('EXPIRED', `The ${what} is too old.`, {
      expected: `IssueInstant within ${maxAgeMs / 1000}s (plus ${skewMs / 1000}s skew) of now (${formatDateTime(now)})`,
      found: `IssueInstant ${formatDateTime(issueInstant)}`,
      hint: 'the message was delivered late or replayed; raise maxAgeMs only if the IdP legitimately queues messages',
    });
  }
}
