import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPieceDecoder } from '../../src/lib/utf8-pieces.js';

// A body decoded piece by piece gives exactly the text of one decode of all its bytes, wherever
// the pieces are cut: through multi-byte sequences, a BOM, invalid and truncated sequences.

const whole = (b: Uint8Array) => new TextDecoder('utf-8').decode(b);

function inPieces(bytes: Uint8Array, cuts: number[]): string {
  const d = createPieceDecoder();
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let out = '';
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out += d.push(bytes.subarray(from, c));
    from = c;
  }
  return out + d.end();
}

describe('createPieceDecoder', () => {
  it('property: any bytes, any cuts, the same text as one decode', () => {
    const interesting = fc.constantFrom(
      0x41,
      0x7f,
      0x80,
      0xbf,
      0xc2,
      0xc3,
      0xa4,
      0xe2,
      0x82,
      0xac,
      0xef,
      0xbb,
      0xf0,
      0x9f,
      0x98,
      0x80,
      0xf4,
      0xf5,
      0xff,
      0xed,
      0xa0,
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(interesting, fc.integer({ min: 0, max: 255 })), { maxLength: 60 }),
        fc.array(fc.nat(80), { maxLength: 12 }),
        (arr, cuts) => {
          const bytes = Uint8Array.from(arr);
          expect(inPieces(bytes, cuts)).toBe(whole(bytes));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('property: text with a BOM and multi-byte characters, cut anywhere', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.array(fc.nat(200), { maxLength: 10 }),
        (bom, text, cuts) => {
          const bytes = new TextEncoder().encode(`${bom ? '\uFEFF' : ''}${text}`);
          expect(inPieces(bytes, cuts)).toBe(whole(bytes));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('drops one leading BOM, even cut in two, and keeps a second one', () => {
    const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x41]);
    for (let c = 0; c <= bytes.length; c++) expect(inPieces(bytes, [c])).toBe('\uFEFFA');
  });
});
