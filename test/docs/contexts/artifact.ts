// docs/artifact.md: the query of the ACS request, the SP and IdP configuration, the pending IDs.
import type * as S from '@samlkit/core';

type Resolve = Parameters<typeof S.resolveArtifact>[1];
type Validate = Parameters<typeof S.validateResponse>[1];
export declare const params: URLSearchParams;
export declare const sp: Resolve['sp'];
export declare const idp: Resolve['idp'] & Validate['idp'];
export declare const acsUrl: string;
export declare const pendingIds: Validate['inResponseTo'];
export declare const store: NonNullable<Validate['replayCache']>;
