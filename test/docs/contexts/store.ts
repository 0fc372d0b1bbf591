// A shared store, as the guide built it earlier.
import type * as S from '@samlkit/core';

export declare const store: S.SamlStore;
