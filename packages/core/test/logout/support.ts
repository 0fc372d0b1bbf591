import {
  createSoapEnvelope,
  encodeRedirect,
  encodeSimpleSign,
  type IncomingSamlMessage,
  isSamlError,
  type PrivateKey,
  type SamlErrorCode,
  signXml,
} from '@samlkit/core';
import { expect } from 'vitest';

export const IDP = 'https://idp.example.org/saml';
export const SP = 'https://sp.example.com/saml/metadata';
export const SLO = 'https://sp.example.com/saml/slo';
export const IDP_SLO = 'https://idp.example.org/saml/slo';
export const NOW = Date.UTC(2031, 4, 6, 12, 0, 0);

export type FrontOrBack = 'redirect' | 'post' | 'simpleSign' | 'soap';
export const ALL_BINDINGS: readonly FrontOrBack[] = ['redirect', 'post', 'simpleSign', 'soap'];

function b64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * Delivers a message the way its sender would on `binding`: signs it the binding's way when a key
 * is given (query signature, enveloped XML signature, SimpleSign form signature), then encodes it.
 */
export async function deliver(
  binding: FrontOrBack,
  type: 'SAMLRequest' | 'SAMLResponse',
  xml: string,
  key: PrivateKey | undefined,
  relayState?: string,
): Promise<IncomingSamlMessage> {
  switch (binding) {
    case 'redirect': {
      const url = await encodeRedirect({
        destination: SLO,
        type,
        xml,
        ...(relayState !== undefined ? { relayState, allowLongRelayState: true } : {}),
        ...(key ? { sign: { key } } : {}),
      });
      return { binding: 'redirect', query: url };
    }
    case 'post': {
      const body = key ? await signXml(xml, { key }) : xml;
      return {
        binding: 'post',
        form: {
          [type]: b64(body),
          ...(relayState !== undefined ? { RelayState: relayState } : {}),
        },
      };
    }
    case 'simpleSign': {
      if (!key) {
        return {
          binding: 'simpleSign',
          form: {
            [type]: b64(xml),
            ...(relayState !== undefined ? { RelayState: relayState } : {}),
          },
        };
      }
      const form = await encodeSimpleSign({
        type,
        xml,
        sign: { key },
        ...(relayState !== undefined ? { relayState } : {}),
      });
      return { binding: 'simpleSign', form };
    }
    case 'soap': {
      const body = key ? await signXml(xml, { key }) : xml;
      return { binding: 'soap', body: createSoapEnvelope(body) };
    }
  }
}

/** Awaits `promise` and asserts it rejects with a SamlError of `code`. */
export async function expectCode(promise: Promise<unknown>, code: SamlErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeDefined();
  if (!isSamlError(caught)) throw caught;
  expect(caught.code, caught.message).toBe(code);
}
