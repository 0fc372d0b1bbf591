// Independent check of the generated documents with xmlsec1 (libxmlsec1), so the benchmark does
// not rest on samlkit verifying its own signatures: every valid document must verify, every
// tampered one must fail. Skipped (and recorded as such) when xmlsec1 is not installed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Fixtures, idpCertFor, type VariantName } from './fixtures.js';

export interface XmlsecCheck {
  readonly available: boolean;
  readonly version?: string;
  readonly checked: readonly {
    size: string;
    variant: string;
    valid_verified: boolean;
    tampered_refused: boolean;
  }[];
  readonly note: string;
}

const ID_ATTRS = [
  '--id-attr:ID',
  'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
  '--id-attr:ID',
  'urn:oasis:names:tc:SAML:2.0:protocol:Response',
];

export function xmlsecCheck(f: Fixtures): XmlsecCheck {
  const version = spawnSync('xmlsec1', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) {
    return {
      available: false,
      checked: [],
      note: 'xmlsec1 is not installed: documents not cross-checked',
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'samlkit-bench-xmlsec-'));
  try {
    const spKey = join(dir, 'sp-key.pem');
    writeFileSync(spKey, f.spPrivateKeyPem);
    const verifies = (xml: string, variant: VariantName): boolean => {
      const cert = join(dir, 'idp.pem');
      writeFileSync(cert, idpCertFor(f, variant));
      let file = join(dir, 'doc.xml');
      writeFileSync(file, xml);
      if (variant === 'rsa-encrypted') {
        const out = join(dir, 'decrypted.xml');
        const dec = spawnSync('xmlsec1', [
          '--decrypt',
          '--privkey-pem',
          spKey,
          '--output',
          out,
          file,
        ]);
        if (dec.status !== 0) return false;
        file = out;
      }
      // Verifies the first ds:Signature: the Response's when it is signed, else the assertion's.
      const r = spawnSync('xmlsec1', ['--verify', '--pubkey-cert-pem', cert, ...ID_ATTRS, file]);
      return r.status === 0;
    };
    const checked: XmlsecCheck['checked'][number][] = [];
    for (const [size, variants] of Object.entries(f.documents)) {
      for (const [variant, pair] of Object.entries(variants)) {
        if (!pair) continue;
        checked.push({
          size,
          variant,
          valid_verified: verifies(pair.valid, variant as VariantName),
          tampered_refused: !verifies(pair.tampered, variant as VariantName),
        });
      }
    }
    return {
      available: true,
      version: version.stdout.trim(),
      checked,
      note: 'xmlsec1 verified the first signature of each document (the Response signature when the Response is signed), after decrypting the encrypted ones',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
