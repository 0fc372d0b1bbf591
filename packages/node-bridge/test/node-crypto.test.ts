// The Node adapters' crypto provider answers exactly as WebCrypto does: the same digests, the same
// verdict on every signature (genuine, altered, truncated, of another key), the same refusals —
// while the two operations it takes over never reach WebCrypto.
import { nodeCryptoProvider } from '@samlkit/node-bridge';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

const web = globalThis.crypto.subtle;
const fast = nodeCryptoProvider().subtle;

const HASHES = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'] as const;

interface SigningCase {
  readonly label: string;
  readonly params: AlgorithmIdentifier | EcdsaParams;
  readonly pair: CryptoKeyPair;
}

/** What a promise settles to: the value, or the error's name (WebCrypto's DOMException names). */
async function outcome<T>(p: Promise<T>): Promise<{ value?: T; error?: string }> {
  try {
    return { value: await p };
  } catch (e) {
    return { error: (e as Error).name };
  }
}

const cases: SigningCase[] = [];

beforeAll(async () => {
  for (const hash of HASHES) {
    const pair = await web.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash,
      },
      false,
      ['sign', 'verify'],
    );
    cases.push({ label: `rsa ${hash}`, params: { name: 'RSASSA-PKCS1-v1_5' }, pair });
  }
  for (const [curve, hash] of [
    ['P-256', 'SHA-256'],
    ['P-384', 'SHA-384'],
    ['P-521', 'SHA-512'],
    ['P-256', 'SHA-1'],
  ] as const) {
    const pair = await web.generateKey({ name: 'ECDSA', namedCurve: curve }, false, [
      'sign',
      'verify',
    ]);
    cases.push({ label: `ecdsa ${curve} ${hash}`, params: { name: 'ECDSA', hash }, pair });
  }
}, 60_000);

afterEach(() => {
  vi.restoreAllMocks();
});

/** Ways to alter a signature or its data. */
const alteration = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), by: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('extend' as const), by: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('data' as const), at: fc.nat() }),
  fc.constant({ kind: 'empty' as const }),
);

describe('nodeCryptoProvider: digest', () => {
  it('gives WebCrypto digest for any bytes, hash name spelling and kind of buffer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.constantFrom(...HASHES),
        fc.constantFrom('as-is', 'lower', 'object'),
        fc.constantFrom('view', 'offset-view', 'array-buffer'),
        async (bytes, hash, spelling, kind) => {
          const name =
            spelling === 'lower'
              ? hash.toLowerCase()
              : spelling === 'object'
                ? { name: hash }
                : hash;
          const padded = new Uint8Array(bytes.length + 7);
          padded.set(bytes, 3);
          const data =
            kind === 'view'
              ? bytes
              : kind === 'offset-view'
                ? padded.subarray(3, 3 + bytes.length)
                : bytes.slice().buffer;
          const mine = await fast.digest(name, data);
          expect(mine).toBeInstanceOf(ArrayBuffer);
          expect(new Uint8Array(mine)).toEqual(new Uint8Array(await web.digest(hash, bytes)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hands hashes it does not know to WebCrypto, which refuses them the same way', async () => {
    for (const name of ['MD5', 'SHA-3', 'SHA-224', '']) {
      const data = new Uint8Array([1, 2, 3]);
      expect(await outcome(fast.digest(name, data))).toEqual(await outcome(web.digest(name, data)));
    }
  });

  it('does not send SHA digests to WebCrypto', async () => {
    const spy = vi.spyOn(web, 'digest');
    await fast.digest('SHA-256', new Uint8Array(10));
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('nodeCryptoProvider: verify', () => {
  it('agrees with WebCrypto on genuine and altered signatures, for every key and hash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: cases.length - 1 }),
        fc.uint8Array({ maxLength: 2000 }),
        alteration,
        async (which, data, change) => {
          const { params, pair } = cases[which]!;
          let signature = new Uint8Array(await web.sign(params, pair.privateKey, data));
          let signed = data;
          if (change.kind === 'flip') {
            signature = signature.slice();
            signature[change.at % signature.length]! ^= 1 << change.bit;
          } else if (change.kind === 'truncate') {
            signature = signature.subarray(0, Math.max(0, signature.length - change.by));
          } else if (change.kind === 'extend') {
            const longer = new Uint8Array(signature.length + change.by);
            longer.set(signature);
            signature = longer;
          } else if (change.kind === 'data') {
            signed = new Uint8Array([...data, change.at & 0xff]);
          } else if (change.kind === 'empty') {
            signature = new Uint8Array(0);
          }
          const expected = await outcome(web.verify(params, pair.publicKey, signature, signed));
          const found = await outcome(fast.verify(params, pair.publicKey, signature, signed));
          expect(found).toEqual(expected);
          if (change.kind === 'none') expect(found).toEqual({ value: true });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('refuses a signature by another key of the same kind, as WebCrypto does', async () => {
    const [a, b] = [cases[1]!, cases[0]!]; // RSA SHA-256 and RSA SHA-1 keys
    const data = new TextEncoder().encode('<ds:SignedInfo/>');
    const byA = await web.sign(a.params, a.pair.privateKey, data);
    expect(await fast.verify(b.params, b.pair.publicKey, byA, data)).toBe(false);
    expect(await web.verify(b.params, b.pair.publicKey, byA, data)).toBe(false);
  });

  it('answers as WebCrypto when the algorithm does not fit the key, or the key cannot verify', async () => {
    const rsa = cases[1]!;
    const ec = cases[4]!;
    const data = new Uint8Array([1, 2, 3]);
    const signature = new Uint8Array(await web.sign(rsa.params, rsa.pair.privateKey, data));
    const tries: [AlgorithmIdentifier | EcdsaParams, CryptoKey][] = [
      [{ name: 'ECDSA', hash: 'SHA-256' }, rsa.pair.publicKey], // another algorithm than the key's
      [{ name: 'RSASSA-PKCS1-v1_5' }, ec.pair.publicKey],
      [{ name: 'RSASSA-PKCS1-v1_5' }, rsa.pair.privateKey], // a private key
      [{ name: 'ECDSA', hash: 'SHA-999' } as EcdsaParams, ec.pair.publicKey],
      ['RSA-PSS', rsa.pair.publicKey],
    ];
    for (const [params, key] of tries) {
      expect(await outcome(fast.verify(params, key, signature, data))).toEqual(
        await outcome(web.verify(params, key, signature, data)),
      );
    }
  });

  it('hands RSA-PSS to WebCrypto and agrees with it', async () => {
    const pair = await web.generateKey(
      {
        name: 'RSA-PSS',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      false,
      ['sign', 'verify'],
    );
    const params = { name: 'RSA-PSS', saltLength: 32 };
    const data = new Uint8Array([9, 9, 9]);
    const signature = await web.sign(params, pair.privateKey, data);
    expect(await fast.verify(params, pair.publicKey, signature, data)).toBe(true);
    expect(await fast.verify(params, pair.publicKey, signature, new Uint8Array([9]))).toBe(false);
  });

  it('does not send RSASSA-PKCS1-v1_5 or ECDSA checks to WebCrypto', async () => {
    const spy = vi.spyOn(web, 'verify');
    for (const { params, pair } of cases) {
      const data = new Uint8Array([4, 5, 6]);
      const signature = await web.sign(params, pair.privateKey, data);
      expect(await fast.verify(params, pair.publicKey, signature, data)).toBe(true);
    }
    expect(spy).not.toHaveBeenCalled();
  });

  it('passes every other operation to WebCrypto unchanged', async () => {
    const key = await fast.generateKey({ name: 'AES-GCM', length: 128 }, true, ['encrypt']);
    const raw = new Uint8Array(await fast.exportKey('raw', key));
    expect(raw.length).toBe(16);
    const random = nodeCryptoProvider().getRandomValues(new Uint8Array(16));
    expect(random.some((b) => b !== 0)).toBe(true);
  });
});
