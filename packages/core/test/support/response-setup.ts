// The set-up the validateResponse tests share: the parties, the instant and the request answered;
// a valid Response to build (signed by the IdP key) and the options that accept it; and the code a
// refusal carries.
import { isSamlError, type SamlErrorCode, type ValidateResponseOptions } from '@samlkit/core';
import type { BuildResponseOptions, TestKeys } from '@samlkit/testkit';
import { expect } from 'vitest';

export const IDP = 'https://idp.example.org/saml';
export const SP = 'https://sp.example.com/saml/metadata';
export const ACS = 'https://sp.example.com/saml/acs';
export const NOW: number = Date.UTC(2031, 4, 6, 12, 0, 0);
/** The AuthnRequest the Responses answer. */
export const REQ = '_request-1';

/** Builds a valid Response and the options that accept it, each with `extra` over it. */
export interface ResponseSetup {
  base(extra?: Partial<BuildResponseOptions>): BuildResponseOptions;
  options(extra?: Partial<ValidateResponseOptions>): ValidateResponseOptions;
}

/**
 * The valid Response of these tests (alice, signed assertion, answering {@link REQ}) and the
 * options that accept it. `idp` reads the IdP keys, generated in the test file's `beforeAll`;
 * `defaults` adds options every call of this file wants (read at each call, after `beforeAll`).
 */
export function responseSetup(
  idp: () => TestKeys,
  defaults: () => Partial<ValidateResponseOptions> = () => ({}),
): ResponseSetup {
  return {
    base: (extra = {}) => ({
      idpEntityId: IDP,
      spEntityId: SP,
      acsUrl: ACS,
      now: NOW,
      inResponseTo: REQ,
      nameId: { value: 'alice@example.com' },
      signingKey: idp(),
      sign: 'assertion',
      ...extra,
    }),
    options: (extra = {}) => ({
      sp: { entityId: SP, acsUrl: ACS },
      idp: { entityId: IDP, signingKeys: [idp().publicKey] },
      now: NOW,
      inResponseTo: REQ,
      ...defaults(),
      ...extra,
    }),
  };
}

/** The code of the SamlError `p` rejects with; the test fails when it resolves or throws another error. */
export async function refusalCode(p: Promise<unknown>): Promise<SamlErrorCode> {
  const caught = await p.then(
    () => undefined,
    (e: unknown) => e ?? new Error('rejected with nothing'),
  );
  expect(caught, 'the response was accepted').toBeDefined();
  expect(isSamlError(caught), String(caught)).toBe(true);
  return (caught as { code: SamlErrorCode }).code;
}
