import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../../src/lib/bytes.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('fromBase64', () => {
  it('inverts toBase64 and agrees with a reference decoder, whitespace anywhere', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(' ', '\n', '\r\n', '\t')), { maxLength: 8 }),
        (bytes, breaks) => {
          let text = toBase64(bytes);
          expect(text).toBe(Buffer.from(bytes).toString('base64'));
          for (const [at, ws] of breaks) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + ws + text.slice(i);
          }
          expect(Array.from(fromBase64(text))).toEqual(Array.from(bytes));
          // Missing padding is tolerated.
          expect(Array.from(fromBase64(text.replace(/[=\s]+$/, '')))).toEqual(Array.from(bytes));
        },
      ),
    );
  });

  it('refuses any character outside the alphabet, wherever it is (fast path included)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 120 }),
        fc.nat(),
        fc.constantFrom('-', '_', '.', '%', 'é', '€', '\u0000', '=', '*'),
        (bytes, at, bad) => {
          const text = toBase64(bytes).replace(/=+$/, '');
          // '=' in one of the last two places can be legitimate padding, not a foreign character.
          const i = at % (bad === '=' ? Math.max(1, text.length - 2) : text.length);
          const broken = text.slice(0, i) + bad + text.slice(i + 1);
          expect(code(() => fromBase64(broken))).toBe('BASE64_INVALID');
        },
      ),
    );
  });

  it('accepts and refuses exactly what atob does, on base64-like text with padding and spaces', () => {
    // atob (HTML "forgiving-base64 decode") strips only ASCII whitespace; the text here has no
    // other kind, so the two must agree on every input: the same bytes, or both refuse.
    const char = fc.constantFrom(...'AQgw+/Zz09='.split(''), ' ', '\n', '\t', '-', 'é');
    fc.assert(
      fc.property(fc.array(char, { maxLength: 24 }), (chars) => {
        const text = chars.join('');
        let expected: number[] | undefined;
        try {
          expected = Array.from(atob(text), (c) => c.charCodeAt(0));
        } catch {
          expected = undefined;
        }
        if (expected === undefined) {
          expect(code(() => fromBase64(text))).toBe('BASE64_INVALID');
        } else {
          // Trailing bits atob ignores are ignored here too.
          expect(Array.from(fromBase64(text))).toEqual(expected);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses impossible lengths and excess padding', () => {
    expect(code(() => fromBase64('QUJDR'))).toBe('BASE64_INVALID');
    expect(code(() => fromBase64('QQ==='))).toBe('BASE64_INVALID');
    expect(code(() => fromBase64('===='))).toBe('BASE64_INVALID');
  });
});
