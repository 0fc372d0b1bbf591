import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/sp/return-to.js';

const ORIGIN = 'https://app.example.com';

describe('safeReturnTo', () => {
  it.each([
    ['/', '/'],
    ['/a/b?c=1#d', '/a/b?c=1#d'],
    ['/a/../b', '/b'],
    ['/caf%C3%A9', '/caf%C3%A9'],
    ['/search?q=a%20b', '/search?q=a%20b'],
  ])('keeps the same-origin path %j', (input, expected) => {
    expect(safeReturnTo(input, ORIGIN)).toBe(expected);
  });

  it.each([
    'https://evil.example/',
    'http://app.example.com.evil.example/',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\/evil.example',
    '/a\\b',
    '/%2F%2Fevil.example',
    '/%2f/evil.example',
    '%2F%2Fevil.example',
    '/%5Cevil.example',
    '/%5cevil.example',
    '/%252F%252Fevil.example',
    '/%25252F%25252Fevil.example',
    '/%E0%A4%A',
    '/./%2F',
    '/./%2Fevil.example',
    '/%2e/%2F%2Fevil.example',
    '/a/../%2F%2Fevil.example',
    'javascript:alert(1)',
    'data:text/html,x',
    'evil.example',
    '',
    '/\t/evil.example',
    '/\n/evil.example',
    '/%09/evil.example',
    '/%0d%0aSet-Cookie:x=1',
    '/\u0000',
    `/${'a'.repeat(3000)}`,
  ])('refuses %j', (input) => {
    expect(safeReturnTo(input, ORIGIN)).toBeUndefined();
  });

  it('refuses non-strings', () => {
    for (const v of [undefined, null, 42, {}, ['/a']])
      expect(safeReturnTo(v, ORIGIN)).toBeUndefined();
  });

  it('never yields anything that leaves the origin, however the result is decoded again', () => {
    const pieces = fc.constantFrom(
      '/',
      '\\',
      '%2F',
      '%5C',
      '%25',
      '2F',
      '.',
      'evil.example',
      ':',
      '@',
      '?',
      '#',
      '\t',
      'a',
      '%0A',
      '//',
    );
    const candidate = fc.oneof(
      fc.string(),
      fc.array(pieces, { maxLength: 8 }).map((p) => p.join('')),
      fc.array(pieces, { maxLength: 8 }).map((p) => `/${p.join('')}`),
    );
    fc.assert(
      fc.property(candidate, (input) => {
        const out = safeReturnTo(input, ORIGIN);
        if (out === undefined) return;
        let current = out;
        for (let i = 0; i < 4; i++) {
          expect(current.startsWith('/')).toBe(true);
          expect(current.startsWith('//')).toBe(false);
          expect(current.includes('\\')).toBe(false);
          expect(new URL(current, ORIGIN).origin).toBe(ORIGIN);
          try {
            current = decodeURIComponent(current);
          } catch {
            break;
          }
        }
      }),
      { numRuns: 5000 },
    );
  });
});
