import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseForm } from '../../src/lib/form.js';

/**
 * WHATWG URL §5.1 application/x-www-form-urlencoded parsing, step by step on the UTF-8 bytes: the
 * reference. (Node's URLSearchParams departs from it for literal non-ASCII text next to escapes,
 * which browsers never post: they escape every non-ASCII byte. On ASCII it is compared as well.)
 */
function reference(text: string): [string, string][] {
  // The URLSearchParams constructor (WHATWG URL §6.2) first drops a leading "?".
  const bytes = new TextEncoder().encode(text.startsWith('?') ? text.slice(1) : text);
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const hex = (b: number | undefined) =>
    b !== undefined && /^[0-9A-Fa-f]$/.test(String.fromCharCode(b))
      ? Number.parseInt(String.fromCharCode(b), 16)
      : -1;
  const decode = (part: Uint8Array) => {
    const out: number[] = [];
    for (let i = 0; i < part.length; i++) {
      const b = part[i] === 0x2b ? 0x20 : part[i]!;
      if (b === 0x25 && hex(part[i + 1]) >= 0 && hex(part[i + 2]) >= 0) {
        out.push(hex(part[i + 1]) * 16 + hex(part[i + 2]));
        i += 2;
      } else out.push(b);
    }
    return decoder.decode(new Uint8Array(out));
  };
  const fields: [string, string][] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x26) continue;
    const field = bytes.subarray(start, i);
    start = i + 1;
    if (field.length === 0) continue;
    const eq = field.indexOf(0x3d);
    fields.push(
      eq === -1
        ? [decode(field), '']
        : [decode(field.subarray(0, eq)), decode(field.subarray(eq + 1))],
    );
  }
  return fields;
}

describe('parseForm', () => {
  it('reads every form as the WHATWG form parsing does (and URLSearchParams on ASCII)', () => {
    // Separators, escapes (valid, truncated, invalid UTF-8, a BOM), "+", non-ASCII and lone
    // surrogates: wherever the fast path would differ from the reference, this finds it.
    const piece = fc.oneof(
      fc.constantFrom(
        '&',
        '=',
        '+',
        '%',
        '%2B',
        '%2b',
        '%3D',
        '%26',
        '%C3%A9',
        '%C3',
        '%E2%82',
        '%FF',
      ),
      fc.constantFrom(
        '%EF%BB%BF',
        '%ED%A0%80',
        '%C0%80',
        '%F4%90%80%80',
        '%zz',
        '%4',
        'é',
        '😀',
        '?',
      ),
      fc.constantFrom('\uD800', '\uDC00', 'SAMLResponse', 'RelayState', 'a', 'Z9/'),
      fc.string({ maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 16 }), (pieces) => {
        const text = pieces.join('');
        const fields = parseForm(text);
        expect([...fields]).toEqual(reference(text));
        const all = reference(text);
        for (const name of [...new Set(all.map(([n]) => n)), 'SAMLResponse', 'absent']) {
          const values = all.filter(([n]) => n === name).map(([, v]) => v);
          expect(fields.getAll(name)).toEqual(values);
          expect(fields.get(name)).toBe(values[0] ?? null);
          expect(fields.has(name)).toBe(values.length > 0);
        }
        // What browsers post is ASCII: there, URLSearchParams of this runtime agrees too.
        if ([...text].every((c) => c.charCodeAt(0) < 0x80))
          expect([...fields]).toEqual([...new URLSearchParams(text)]);
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes a posted SAMLResponse and RelayState, and keeps repeated fields', () => {
    const value = 'PHNhbWxwOlJlc3BvbnNlPg+/=';
    const body = new URLSearchParams([
      ['SAMLResponse', value],
      ['RelayState', 'a b&c=d é'],
      ['SAMLResponse', 'x'],
    ]).toString();
    const fields = parseForm(body);
    expect(fields.getAll('SAMLResponse')).toEqual([value, 'x']);
    expect(fields.get('RelayState')).toBe('a b&c=d é');
    expect(Object.fromEntries(fields)).toEqual({ SAMLResponse: 'x', RelayState: 'a b&c=d é' });
  });

  it('stays linear on a body of many fields without "="', () => {
    // A quadratic search for "=" across the rest of the body would take minutes here.
    const text = `${'a&'.repeat(200_000)}b=c`;
    const fields = parseForm(text);
    expect(fields.getAll('a')).toHaveLength(200_000);
    expect(fields.get('b')).toBe('c');
  });
});
