// docs/saas.md after the resolver: the Express app with the application's admin check and tenant
// lookup, the database, the resolver `idps`, the SP key and the store.
import type * as S from '@samlkit/core';
import type { Express, Request, RequestHandler } from 'express';

interface IdpRow {
  tenant: string;
  entityId: string;
  metadataXml: string;
  policy: S.IdpPolicy;
}
export declare const app: Express;
export declare const requireAdmin: RequestHandler;
/** The tenant the signed-in admin belongs to. */
export declare const tenantOf: (req: Request) => string;
export declare const db: {
  idps: { upsert(row: IdpRow): Promise<void> };
  tenants: { exists(id: string): Promise<boolean> };
};
export declare const idps: S.IdpResolver;
export declare const spKey: S.SpKeyPair;
export declare const store: S.SamlStore;
