// docs/saas.md: the application's database of IdPs and tenants, the SP settings and the store.
import type * as S from '@samlkit/core';

interface IdpRow {
  tenant: string;
  entityId: string;
  slug?: string;
  isDefault?: boolean;
  metadataXml: string;
  policy: S.IdpPolicy;
  domainHint?: string;
}
export declare const db: {
  idps: {
    findOne(query: Partial<IdpRow>): Promise<IdpRow | undefined>;
    upsert(row: IdpRow): Promise<void>;
  };
  tenants: { exists(id: string): Promise<boolean> };
};
export declare const sp: S.ServiceProviderOptions['sp'];
export declare const spKey: S.SpKeyPair;
export declare const store: S.SamlStore;
