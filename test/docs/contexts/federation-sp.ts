// What the federation guide's discovery fragment assumes: the loaded aggregate, the SP's own
// configuration and the store.
import type { FederationAggregate, SamlStore, ServiceProviderConfig } from '@samlkit/core';

export declare const fed: FederationAggregate;
export declare const sp: ServiceProviderConfig;
export declare const store: SamlStore;
