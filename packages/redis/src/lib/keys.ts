/**
 * Key layout of the Redis store. Every key starts with the configured prefix; the parts that
 * come from outside (request IDs, assertion IDs, issuers, NameIDs) are escaped so that they can
 * never form a Redis Cluster hash tag (`{…}`) or collide with the `:` separators.
 *
 * | key | type | holds | TTL |
 * | --- | --- | --- | --- |
 * | `<prefix>req:<id>` | string | `{ e: expiresAt, r: pending request }` (JSON) | until the request's expiresAt |
 * | `<prefix>once:<key>` | string | `1` (replay cache / lock) | until the given expiresAt |
 * | `<prefix>sess:<id>` | hash | `r` record JSON, `e` expiresAt | until the session's expiresAt |
 * | `<prefix>slo:<issuer>:<nameId>` | sorted set | session IDs scored by expiresAt | until the latest score |
 * | `<prefix>val:<key>` | string | shared value | until the given expiresAt |
 *
 * @internal
 */

/** Characters kept as they are; everything else is escaped. `%` is escaped, so this is injective. */
const SAFE = /[^A-Za-z0-9._~!$&'()*+,;=@/-]/g;

/**
 * Escapes one key part: a UTF-16 code unit below 256 becomes `%XX`, any other `%uXXXX`. Braces,
 * colons, spaces, control characters and lone surrogates are all escaped.
 */
export function escapeKeyPart(part: string): string {
  return part.replace(SAFE, (c) => {
    const n = c.charCodeAt(0);
    return n < 256 ? `%${n.toString(16).padStart(2, '0')}` : `%u${n.toString(16).padStart(4, '0')}`;
  });
}

/** Builds the keys of one store. */
export function keyBuilder(prefix: string) {
  return {
    pending: (id: string) => `${prefix}req:${escapeKeyPart(id)}`,
    once: (key: string) => `${prefix}once:${escapeKeyPart(key)}`,
    session: (id: string) => `${prefix}sess:${escapeKeyPart(id)}`,
    index: (issuer: string, nameId: string) =>
      `${prefix}slo:${escapeKeyPart(issuer)}:${escapeKeyPart(nameId)}`,
    value: (key: string) => `${prefix}val:${escapeKeyPart(key)}`,
  };
}

/** The keys of one store. */
export type KeyBuilder = ReturnType<typeof keyBuilder>;
