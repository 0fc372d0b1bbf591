// Taking the pending request an answer names, but only when it is the request that answer can be
// for: the same kind, sent to the IdP that (verifiably) answered. A message from another IdP must
// leave the request intact for the genuine answer (SAML profiles §4.1.4.2, §4.4.4.2).

import type { PendingRequest, PendingRequestMatch, SamlStore } from './types.js';

/**
 * Whether a pending request satisfies the condition of a conditional take
 * (`SamlStore.takePendingRequest(id, expect)`): the same `kind` and the same `idpEntityId`,
 * compared exactly. A store implementing the conditional take evaluates exactly this.
 * @param record - the stored pending request
 * @param expect - the condition
 * @returns `true` when the record may be taken
 * @example In a custom store's conditional take
 * ```ts
 * if (expect !== undefined && !matchesPendingRequest(record, expect)) return undefined; // kept
 * ```
 */
export function matchesPendingRequest(
  record: PendingRequest,
  expect: PendingRequestMatch,
): boolean {
  return record.kind === expect.kind && record.idpEntityId === expect.idpEntityId;
}

/**
 * Checks the condition argument of a conditional take: absent, or `{ kind, idpEntityId }` with
 * string values.
 * @param expect - what was passed
 * @throws TypeError when it is anything else
 * @internal
 */
export function assertPendingMatch(expect: unknown): void {
  if (expect === undefined) return;
  const e = expect as Partial<Record<keyof PendingRequestMatch, unknown>> | null;
  if (
    typeof e !== 'object' ||
    e === null ||
    typeof e.kind !== 'string' ||
    typeof e.idpEntityId !== 'string'
  ) {
    throw new TypeError('expect must be { kind: string, idpEntityId: string } or undefined');
  }
}

/**
 * How to put back a record that a store without the conditional take handed over although it did
 * not match: it is stored again until `createdAt + requestTtlMs` (the expiry it was put with).
 */
export interface PutBackOptions {
  /** The current time (epoch ms). */
  readonly now: number;
  /** The lifetime pending requests are put with (the SP's `requestTtlMs`). */
  readonly requestTtlMs: number;
}

/**
 * Takes pending request `id` only when it matches `expect`; `undefined` otherwise, with the record
 * left for its genuine answer. The store is asked for a conditional take, which a conforming store
 * evaluates atomically. A store that ignores the condition hands over whatever it held: a record
 * that does not match is then put back with the lifetime it had left (when `putBack` is given and
 * the store can put), so only a concurrent genuine answer in that instant can miss it.
 * @internal
 */
export async function takeMatchingRequest(
  store: Pick<SamlStore, 'takePendingRequest'> & Partial<Pick<SamlStore, 'putPendingRequest'>>,
  id: string,
  expect: PendingRequestMatch,
  putBack?: PutBackOptions,
): Promise<PendingRequest | undefined> {
  const record = await store.takePendingRequest(id, expect);
  if (record === undefined || matchesPendingRequest(record, expect)) return record;
  const expiresAt = record.createdAt + (putBack?.requestTtlMs ?? 0);
  if (putBack !== undefined && store.putPendingRequest && expiresAt > putBack.now) {
    await store.putPendingRequest(id, record, expiresAt);
  }
  return undefined;
}
