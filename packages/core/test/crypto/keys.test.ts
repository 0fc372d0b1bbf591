import { describe, expect, it } from 'vitest';
import { describeWithFixtures, sharedFixtures } from '../../../../test/support/fixtures.js';
import { importPrivateKey, importPublicKey } from '../../src/crypto/keys.js';
import {
  type CryptoProvider,
  fingerprint,
  loadPrivateKey,
  loadPublicKey,
  loadPublicKeys,
  SamlError,
} from '../../src/index.js';

const fx = sharedFixtures('interop/certs');

/** A fresh, extractable P-256 key pair. */
async function ecPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
}

describeWithFixtures(fx, 'keys from real IdP certificates', () => {
  const files = fx.list('.').filter((f) => f.endsWith('.pem'));
  it('has certificates to load', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  it.each(files)('%s loads', async (file) => {
    const pem = fx.read(file);
    if (pem.includes('PRIVATE KEY')) {
      const key = loadPrivateKey(pem);
      expect(['RSA', 'EC']).toContain(key.keyType);
      return;
    }
    const [key] = loadPublicKeys(pem);
    expect(key!.certificate?.subject).toBeTruthy();
    expect(key!.certificate!.notAfter.getTime()).toBeGreaterThan(
      key!.certificate!.notBefore.getTime(),
    );
    const hash = /-([0-9a-f]{12})\.pem$/.exec(file)?.[1];
    if (hash) {
      const fp = await fingerprint(key!.certificate!.der);
      expect(fp.replaceAll(':', '').toLowerCase().startsWith(hash)).toBe(true);
    }
    await importPublicKey(
      key!,
      key!.keyType === 'RSA'
        ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
        : { name: 'ECDSA', hash: 'SHA-256' },
    );
  });
});

describe('key refusals', () => {
  it('refuses a private key where a certificate is expected', () => {
    expect(() =>
      loadPublicKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'),
    ).toThrow(SamlError);
  });
  it('refuses garbage DER with CERT_INVALID', () => {
    try {
      loadPublicKey('MIIBAAAA');
      expect.unreachable();
    } catch (e) {
      expect((e as SamlError).code).toBe('CERT_INVALID');
    }
  });
  it('round-trips a generated EC key through PKCS#8 and SPKI', async () => {
    const pair = await ecPair();
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
    const pem = (label: string, d: Uint8Array) =>
      `-----BEGIN ${label}-----\n${btoa(String.fromCharCode(...d))}\n-----END ${label}-----\n`;
    const priv = loadPrivateKey(pem('PRIVATE KEY', pkcs8));
    const pub = loadPublicKey(pem('PUBLIC KEY', spki));
    expect(pub.namedCurve).toBe('P-256');
    const data = new TextEncoder().encode('x');
    const sig = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      await importPrivateKey(priv, { name: 'ECDSA', hash: 'SHA-256' }),
      data,
    );
    expect(
      await crypto.subtle.verify(
        { name: 'ECDSA', hash: 'SHA-256' },
        await importPublicKey(pub, { name: 'ECDSA', hash: 'SHA-256' }),
        sig,
        data,
      ),
    ).toBe(true);
  });
});

describe('imported keys are kept per crypto provider', () => {
  it("never hands one provider's imported key to another", async () => {
    const pair = await ecPair();
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
    const pub = loadPublicKey(
      `-----BEGIN PUBLIC KEY-----\n${btoa(String.fromCharCode(...spki))}\n-----END PUBLIC KEY-----\n`,
    );
    // A provider whose keys are its own objects (as a WebCrypto polyfill's are): another
    // provider cannot use them.
    const wrapping = (tag: string) => {
      const subtle = {
        importKey: async (...args: Parameters<SubtleCrypto['importKey']>) => ({
          tag,
          key: await crypto.subtle.importKey(...args),
        }),
      } as unknown as SubtleCrypto;
      const provider: CryptoProvider = {
        subtle,
        getRandomValues: <T extends ArrayBufferView | null>(array: T): T => array,
      };
      return provider;
    };
    const a = wrapping('a');
    const b = wrapping('b');
    const use = { name: 'ECDSA', hash: 'SHA-256' } as const;
    const fromA = (await importPublicKey(pub, use, a)) as unknown as { tag: string };
    const fromB = (await importPublicKey(pub, use, b)) as unknown as { tag: string };
    const fromGlobal = await importPublicKey(pub, use);
    expect([fromA.tag, fromB.tag]).toEqual(['a', 'b']);
    expect(fromGlobal).toBeInstanceOf(CryptoKey);
    // Each provider imports once, then reuses its own.
    expect(await importPublicKey(pub, use, a)).toBe(fromA);
    expect(await importPublicKey(pub, use, b)).toBe(fromB);
  });
});
