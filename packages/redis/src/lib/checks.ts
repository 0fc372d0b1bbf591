// Argument checks and small pure helpers of RedisStore.
import type { SessionQuery, SessionRecord } from '@samlkit/core';
import type { ClusterNode } from 'ioredis';

export function assertKey(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`);
  }
}

/** The condition of a conditional take: absent, or `{ kind, idpEntityId }` with string values. */
export function assertPendingMatch(expect: unknown): void {
  if (expect === undefined) return;
  const e = expect as { kind?: unknown; idpEntityId?: unknown } | null;
  if (
    typeof e !== 'object' ||
    e === null ||
    typeof e.kind !== 'string' ||
    typeof e.idpEntityId !== 'string'
  ) {
    throw new TypeError('expect must be { kind: string, idpEntityId: string } or undefined');
  }
}

export function assertTime(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite number of epoch milliseconds`);
  }
}

export function assertMs(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`options.${name} must be a positive number of milliseconds`);
  }
  return value;
}

export function assertSession(session: unknown): asserts session is SessionRecord {
  if (typeof session !== 'object' || session === null) {
    throw new TypeError('session must be a SessionRecord object');
  }
  const s = session as Partial<SessionRecord>;
  assertKey(s.id, 'session.id');
  assertKey(s.issuer, 'session.issuer');
  assertKey(s.nameId, 'session.nameId');
  if (s.sessionIndex !== undefined) assertKey(s.sessionIndex, 'session.sessionIndex');
  assertTime(s.createdAt, 'session.createdAt');
  assertTime(s.expiresAt, 'session.expiresAt');
  if (typeof s.attributes !== 'object' || s.attributes === null) {
    throw new TypeError('session.attributes must be an object of string arrays');
  }
}

export function assertQuery(query: unknown): asserts query is SessionQuery {
  if (typeof query !== 'object' || query === null) {
    throw new TypeError('query must be { issuer, nameId, sessionIndex? }');
  }
  const q = query as Partial<SessionQuery>;
  assertKey(q.issuer, 'query.issuer');
  assertKey(q.nameId, 'query.nameId');
  if (q.sessionIndex !== undefined) assertKey(q.sessionIndex, 'query.sessionIndex');
}

/** A URL fit for error messages: no user name or password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'an unparseable Redis URL';
  }
}

export function describeNode(node: ClusterNode): string {
  if (typeof node === 'string') return node.includes('://') ? redactUrl(node) : node;
  if (typeof node === 'number') return `127.0.0.1:${node}`;
  return `${node.host ?? '127.0.0.1'}:${node.port ?? 6379}`;
}

export function bySessionOrder(a: SessionRecord, b: SessionRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The session a stored `r` (record JSON) and `e` (expiry) describe, if it is still live at `now`. */
export function sessionOf(
  r: string | null,
  e: string | null,
  now: number,
): SessionRecord | undefined {
  if (r === null || e === null) return undefined;
  const expiresAt = Number(e);
  // Redis expires the key a moment after expiresAt (the TTL counts from when it arrived).
  if (!(expiresAt > now)) return undefined;
  return { ...(JSON.parse(r) as SessionRecord), expiresAt };
}
