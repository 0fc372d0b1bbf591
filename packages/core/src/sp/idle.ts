import type { SessionRecord } from '../store/types.js';
import type { Settings } from './settings.js';

/**
 * The expiry of a session created or upgraded at `now`: the absolute end (`sessionMaxAgeMs`,
 * shortened to the IdP's SessionNotOnOrAfter), or with an inactivity timeout the earlier of that
 * and `now + sessionIdleTimeoutMs`.
 * @internal
 */
export function sessionExpiry(
  s: Settings,
  now: number,
  sessionNotOnOrAfter: number | undefined,
): { readonly expiresAt: number; readonly absoluteExpiresAt?: number } {
  const absolute = Math.min(
    now + s.sessionMaxAgeMs,
    sessionNotOnOrAfter ?? Number.POSITIVE_INFINITY,
  );
  if (s.sessionIdleMs === undefined) return { expiresAt: absolute };
  return { expiresAt: Math.min(absolute, now + s.sessionIdleMs), absoluteExpiresAt: absolute };
}

/**
 * Extends a live session on use when an inactivity timeout is set: its expiry moves to
 * `now + sessionIdleTimeoutMs`, never past its absolute end. The store is written only when the
 * expiry moves by more than a tenth of the timeout (at most a minute), not on every request.
 * @internal
 */
export async function touchOnUse(
  s: Settings,
  session: SessionRecord,
  now: number,
): Promise<SessionRecord | undefined> {
  const idle = s.sessionIdleMs;
  if (idle === undefined || session.absoluteExpiresAt === undefined) return session;
  const target = Math.min(session.absoluteExpiresAt, now + idle);
  if (target - session.expiresAt <= Math.min(60_000, idle / 10)) return session;
  // touchSession answers false when the session ended meanwhile (logout on another node).
  if (!(await s.store.touchSession(session.id, target))) return undefined;
  return { ...session, expiresAt: target };
}
