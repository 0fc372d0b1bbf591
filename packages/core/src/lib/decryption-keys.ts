import type { SpKeyPair } from '../config.js';
import type { PrivateKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { decryptElement } from '../encryption/decrypt.js';
import { SamlError } from '../errors.js';
import type { DecryptFn } from './assertion.js';
import type { XmlLimits } from './xml.js';

/**
 * An SP key that decrypts what the IdP encrypted to it: the private key itself (from
 * `loadPrivateKey`), or the SP key pair of `ServiceProviderConfig.decryptionKeys`. Several are
 * tried in turn during an SP key rollover.
 */
export type DecryptionKey = PrivateKey | SpKeyPair;

/** The private keys of a `decryptionKeys` list. @internal */
export function privateKeysOf(keys: readonly DecryptionKey[] | undefined): PrivateKey[] {
  return (keys ?? []).map((k) => ('privateKey' in k ? k.privateKey : k));
}

/** What to say when a message is encrypted and no key is configured. @internal */
export interface MissingKeyMessage {
  readonly message: string;
  readonly expected: string;
  readonly hint: string;
}

/**
 * The decryptor of a validator: `DECRYPTION_FAILED` without keys, `decryptElement` otherwise.
 * @internal
 */
export function decryptorFor(
  keys: readonly DecryptionKey[] | undefined,
  options: {
    readonly crypto?: CryptoProvider | undefined;
    readonly limits?: XmlLimits | undefined;
  },
  missing: (el: Element) => MissingKeyMessage,
): DecryptFn {
  const privateKeys = privateKeysOf(keys);
  return async (el) => {
    if (privateKeys.length === 0) {
      const m = missing(el);
      throw new SamlError('DECRYPTION_FAILED', m.message, {
        expected: m.expected,
        found: 'no decryption key configured',
        hint: m.hint,
      });
    }
    return decryptElement(el, privateKeys, {
      ...(options.crypto ? { crypto: options.crypto } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
    });
  };
}
