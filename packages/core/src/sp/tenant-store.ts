import type {
  EndSessionsResult,
  PendingRequest,
  PendingRequestMatch,
  SamlStore,
  SessionQuery,
  SessionRecord,
} from '../store/types.js';

/**
 * One tenant's view of a shared store: every key it writes (pending requests and finish codes,
 * replay cache, sessions, the SLO index, shared values) is prefixed with the tenant, so the state
 * of one tenant is invisible to every other — a pending login of tenant A cannot be taken at
 * tenant B's ACS, a session of tenant A cannot be named by a cookie at tenant B, and an IdP's
 * LogoutRequest at tenant B cannot find or end a session of tenant A, even when both tenants
 * trust the same IdP.
 *
 * Sessions are stored with the prefix on their ID and on their Issuer (which keys the SLO index)
 * and returned without it; a record found under this tenant's prefix that does not carry it is
 * treated as absent.
 *
 * @param store - the shared store (memory or Redis)
 * @param tenant - the tenant's ID
 * @returns the tenant's store
 * @throws TypeError when `tenant` is empty
 * @example
 * ```ts
 * const acme = tenantStore(redisStore, 'acme');
 * ```
 */
export function tenantStore(store: SamlStore, tenant: string): SamlStore {
  if (typeof tenant !== 'string' || tenant === '') {
    throw new TypeError('tenantStore: tenant must be a non-empty string');
  }
  const ns = `t.${encodeURIComponent(tenant)}.`;
  const k = (key: string) => `${ns}${key}`;
  const stored = (s: SessionRecord): SessionRecord => ({
    ...s,
    id: k(s.id),
    issuer: k(s.issuer),
  });
  const own = (s: SessionRecord | undefined): SessionRecord | undefined => {
    if (!s?.id.startsWith(ns) || !s.issuer.startsWith(ns)) return undefined;
    return { ...s, id: s.id.slice(ns.length), issuer: s.issuer.slice(ns.length) };
  };
  const query = (q: SessionQuery): SessionQuery => ({ ...q, issuer: k(q.issuer) });
  const view: SamlStore = {
    putPendingRequest: (id: string, record: PendingRequest, expiresAt: number) =>
      store.putPendingRequest(k(id), record, expiresAt),
    // The condition goes through unchanged: records are stored as they are, only keys carry the
    // tenant. Passed only when given, so a store with a one-argument take sees what it saw before.
    takePendingRequest: (id: string, expect?: PendingRequestMatch) =>
      expect === undefined
        ? store.takePendingRequest(k(id))
        : store.takePendingRequest(k(id), expect),
    rememberOnce: (key: string, expiresAt: number) => store.rememberOnce(k(key), expiresAt),
    putSession: (session: SessionRecord) => store.putSession(stored(session)),
    getSession: async (id: string) => own(await store.getSession(k(id))),
    touchSession: (id: string, expiresAt: number) => store.touchSession(k(id), expiresAt),
    deleteSession: (id: string) => store.deleteSession(k(id)),
    findSessions: async (q: SessionQuery) =>
      (await store.findSessions(query(q))).flatMap((s) => {
        const mine = own(s);
        return mine ? [mine] : [];
      }),
    getValue: (key: string) => store.getValue(k(key)),
    setValue: (key: string, value: string, expiresAt: number) =>
      store.setValue(k(key), value, expiresAt),
  };
  const bulk = store.endSessions;
  if (typeof bulk === 'function') {
    view.endSessions = async (q: SessionQuery): Promise<EndSessionsResult> => {
      const r = await bulk.call(store, query(q));
      return {
        ended: r.ended.flatMap((s) => {
          const mine = own(s);
          return mine ? [mine] : [];
        }),
        failed: r.failed,
      };
    };
  }
  return Object.freeze(view);
}
