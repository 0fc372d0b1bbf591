// @samlkit/core/xml: the DOM-level tier. These functions take and return @xmldom/xmldom nodes
// (`Element`), for code that builds or inspects SAML documents itself: test IdPs, tools, fuzzers.
// An SP needs none of them; the root export covers the SP and the messages.

export type {
  DigestAlgorithm,
  HashName,
  KeyType,
  SignatureAlgorithm,
} from './crypto/algorithms.js';
export { DIGEST_ALGORITHMS, SIGNATURE_ALGORITHMS } from './crypto/algorithms.js';
export type {
  DataEncryptionAlgorithm,
  MgfName,
  OaepDigestName,
} from './encryption/algorithms.js';
export {
  DATA_ENCRYPTION_ALGORITHMS,
  KEY_TRANSPORT_ALGORITHMS,
  REFUSED_ENCRYPTION_ALGORITHMS,
} from './encryption/algorithms.js';
export type { DecryptOptions } from './encryption/decrypt.js';
export { decryptElement } from './encryption/decrypt.js';
export type { EncryptedKeyPlacement, EncryptOptions } from './encryption/encrypt.js';
export { encryptElement } from './encryption/encrypt.js';
export { signElement } from './signature/sign.js';
export type { VerifiedSignature, VerifyElementOptions } from './signature/verify.js';
export { C14N, ENVELOPED_SIGNATURE, verifyElementSignature } from './signature/verify.js';
