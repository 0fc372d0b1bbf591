import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeBase64,
  fromBase64,
  fromBase64Utf8,
  fromUtf8,
  toBase64,
} from '../../src/lib/bytes.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** The bytes the runtime's atob decodes `text` to, or undefined when it refuses it. */
function atobBytes(text: string): number[] | undefined {
  try {
    return Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

// fromBase64 is the runtime's atob where it accepts, else decodeBase64: both are held to the same
// properties, and to each other.
describe.each([
  ['fromBase64', fromBase64],
  ['decodeBase64', decodeBase64],
] as const)('%s', (_name, fromBase64) => {
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
        const expected = atobBytes(text);
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

describe('fromBase64 on the runtime decoder', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  // Whitespace of every kind (ASCII, \v, Unicode), padding, URL-safe and foreign characters.
  const anyChar = fc.constantFrom(
    ...'AQgw+/Zz09='.split(''),
    ' ',
    '\n',
    '\r',
    '\t',
    '\f',
    '\v',
    '\u00a0',
    '\u2028',
    '\ufeff',
    '-',
    '_',
    '%',
    'é',
    '\u0000',
  );

  it('whatever atob accepts, decodeBase64 accepts with the same bytes (the fast path changes no answer)', () => {
    fc.assert(
      fc.property(fc.array(anyChar, { maxLength: 32 }), (chars) => {
        const text = chars.join('');
        const native = atobBytes(text);
        if (native === undefined) return;
        expect(Array.from(decodeBase64(text))).toEqual(native);
      }),
      { numRuns: 5000 },
    );
  });

  it('fromBase64 and decodeBase64 agree on any text: the same bytes, or both BASE64_INVALID', () => {
    fc.assert(
      fc.property(fc.array(anyChar, { maxLength: 32 }), (chars) => {
        const text = chars.join('');
        const loop = code(() => decodeBase64(text));
        if (loop !== undefined) {
          expect(code(() => fromBase64(text))).toBe(loop);
        } else {
          expect(Array.from(fromBase64(text))).toEqual(Array.from(decodeBase64(text)));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('uses atob where the runtime has it, and decodes without it', () => {
    const text = toBase64(new Uint8Array([0, 1, 2, 250, 251, 252, 253]));
    const spy = vi.spyOn(globalThis, 'atob');
    expect(Array.from(fromBase64(text))).toEqual([0, 1, 2, 250, 251, 252, 253]);
    expect(spy).toHaveBeenCalledWith(text);
    vi.stubGlobal('atob', undefined);
    expect(Array.from(fromBase64(text))).toEqual([0, 1, 2, 250, 251, 252, 253]);
    // A value atob refuses that samlkit accepts: non-ASCII whitespace from a wrapped line.
    expect(Array.from(fromBase64(`${text}\u00a0`))).toEqual([0, 1, 2, 250, 251, 252, 253]);
  });

  it('a refusal names the character and its position, whichever decoder saw it first', () => {
    try {
      fromBase64('QUJD-RUZ');
      expect.unreachable();
    } catch (e) {
      expect((e as { code?: string }).code).toBe('BASE64_INVALID');
      expect(JSON.stringify(e)).toContain('position 4');
    }
  });
});

describe('fromBase64Utf8', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const outcome = (fn: () => { text: string; byteLength: number }) => {
    try {
      return fn();
    } catch (e) {
      return (e as { code?: string }).code;
    }
  };
  // ASCII text, text with multi-byte characters and a BOM, invalid UTF-8, and broken base64.
  const encoded = fc.oneof(
    fc
      .string({ unit: 'grapheme', maxLength: 40 })
      .map((t) => toBase64(new TextEncoder().encode(t))),
    fc.string({ maxLength: 40 }).map((t) => toBase64(new TextEncoder().encode(`\ufeff${t}`))),
    fc.uint8Array({ maxLength: 40 }).map((b) => toBase64(b)),
    fc.uint8Array({ maxLength: 40 }).map((b) => `${toBase64(b)}\n-`),
    fc.string({ maxLength: 24 }),
  );

  it('is fromUtf8 of the decoded bytes: the same text, byte count and errors, with and without atob', () => {
    fc.assert(
      fc.property(encoded, fc.boolean(), (value, withoutAtob) => {
        if (withoutAtob) vi.stubGlobal('atob', undefined);
        else vi.unstubAllGlobals();
        const expected = outcome(() => {
          const bytes = decodeBase64(value);
          return { text: fromUtf8(bytes), byteLength: bytes.length };
        });
        expect(outcome(() => fromBase64Utf8(value))).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses bytes that are not UTF-8 on the native path too', () => {
    expect(outcome(() => fromBase64Utf8(toBase64(new Uint8Array([0x3c, 0xff, 0x3e]))))).toBe(
      'XML_PARSE_ERROR',
    );
    expect(fromBase64Utf8(toBase64(new TextEncoder().encode('<a>é</a>')))).toEqual({
      text: '<a>é</a>',
      byteLength: 9,
    });
  });
});
