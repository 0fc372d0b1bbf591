// The benchmark documents' shape, shared by every benchmark process. This module imports no
// SAML library, so a process that loads it measures only the library it benchmarks.

import { readFileSync, writeFileSync } from 'node:fs';

export const SIZES = ['small', 'medium', 'large'] as const;
export type SizeName = (typeof SIZES)[number];

export const VARIANTS = [
  'rsa-assertion',
  'rsa-response-and-assertion',
  'ecdsa-assertion',
  'rsa-encrypted',
] as const;
export type VariantName = (typeof VARIANTS)[number];

export const VARIANT_LABELS: Record<VariantName, string> = {
  'rsa-assertion': 'assertion signed, RSA-2048',
  'rsa-response-and-assertion': 'Response + assertion signed, RSA-2048',
  'ecdsa-assertion': 'assertion signed, ECDSA P-256',
  'rsa-encrypted': 'assertion signed (RSA-2048) then encrypted (AES-256-GCM + RSA-OAEP)',
};

/** One document in its valid form and a tampered copy every validator must refuse. */
export interface DocumentPair {
  readonly valid: string;
  readonly tampered: string;
  readonly bytes: number;
}

/** Everything the benchmark processes need: documents, keys, and the facts to check them by. */
export interface Fixtures {
  readonly generatedAt: number;
  /** The instant samlkit (and any peer that takes a clock) evaluates time conditions at. */
  readonly now: number;
  readonly idpEntityId: string;
  readonly spEntityId: string;
  readonly acsUrl: string;
  readonly requestId: string;
  /** The NameID every valid document carries. */
  readonly nameId: string;
  readonly idpRsaCertPem: string;
  /** The IdP's RSA signing key (PKCS#8 PEM): the hostile benchmark signs its valid baseline with it. */
  readonly idpRsaPrivateKeyPem: string;
  readonly idpEcCertPem: string;
  readonly spPrivateKeyPem: string;
  readonly spCertPem: string;
  readonly documents: Record<string, Partial<Record<VariantName, DocumentPair>>>;
  readonly attributeValues: Record<string, number>;
}

export const NAME_ID = 'alice.benchmark@example.com';

export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

export function writeFixtures(path: string, fixtures: Fixtures): void {
  writeFileSync(path, JSON.stringify(fixtures));
}

export function readFixtures(path: string): Fixtures {
  return JSON.parse(readFileSync(path, 'utf8')) as Fixtures;
}

/** The certificate that signed a variant's documents. */
export function idpCertFor(f: Fixtures, variant: VariantName): string {
  return variant === 'ecdsa-assertion' ? f.idpEcCertPem : f.idpRsaCertPem;
}
