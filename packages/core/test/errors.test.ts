import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSamlError, SAML_ERROR_CODES, SamlError } from '../src/errors.js';
import { ERROR_CLASSES } from '../src/lib/error-classes.js';
import { logoutStatusForError } from '../src/messages/logout-response.js';
import { statusForError } from '../src/sp/http.js';

describe('SamlError', () => {
  it('says what was expected, what was found and what to check', () => {
    const e = new SamlError('AUDIENCE_MISMATCH', 'The assertion is for another SP.', {
      expected: 'https://sp.example',
      found: 'https://other.example',
      hint: 'the SP entity ID configured at the IdP',
    });
    expect(e.message).toBe(
      '[AUDIENCE_MISMATCH] The assertion is for another SP. Expected: https://sp.example. Found: https://other.example. Check: the SP entity ID configured at the IdP',
    );
    expect(e.code).toBe('AUDIENCE_MISMATCH');
    expect(e.name).toBe('SamlError');
    expect(e).toBeInstanceOf(Error);
  });

  it('keeps raw input non-enumerable so logging never dumps an assertion', () => {
    const e = new SamlError('XML_PARSE_ERROR', 'bad', { raw: '<secret/>' });
    expect(e.raw).toBe('<secret/>');
    expect(Object.keys(e)).not.toContain('raw');
    expect(JSON.stringify(e)).not.toContain('secret');
    expect(JSON.stringify(e.toJSON())).not.toContain('secret');
  });

  it('isSamlError recognises errors from another copy of the library by shape', () => {
    const foreign = Object.assign(new Error('x'), { name: 'SamlError', code: 'EXPIRED' });
    expect(isSamlError(foreign)).toBe(true);
    expect(isSamlError(foreign, 'EXPIRED')).toBe(true);
    expect(isSamlError(foreign, 'REPLAY_DETECTED')).toBe(false);
    expect(isSamlError(Object.assign(new Error('x'), { name: 'SamlError', code: 'NOPE' }))).toBe(
      false,
    );
    expect(isSamlError(new Error('x'))).toBe(false);
  });
});

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^##+\s+`?([A-Z0-9_]+)`?\s*$/gm)].map((m) => m[1]));
  it.each([...SAML_ERROR_CODES])('documents %s with a cause and a remedy', (code) => {
    expect(documented.has(code)).toBe(true);
    const section =
      doc.split(/^##+\s+/m).find((s) => s.replace(/`/g, '').startsWith(`${code}\n`)) ?? '';
    expect(section.length).toBeGreaterThan(code.length + 40);
  });
  it('documents each code once', () => {
    const headings = [...doc.matchAll(/^##+\s+`?([A-Z0-9_]+)`?\s*$/gm)].map((m) => m[1]);
    expect(headings.filter((h, i) => headings.indexOf(h) !== i)).toEqual([]);
  });
  it('documents no code that does not exist', () => {
    const known = new Set<string>(SAML_ERROR_CODES);
    expect([...documented].filter((c) => !known.has(c!))).toEqual([]);
  });
});

describe('error classification (lib/error-classes.ts)', () => {
  it('has exactly one row per code', () => {
    expect(Object.keys(ERROR_CLASSES).sort()).toEqual([...SAML_ERROR_CODES].sort());
  });
  it.each([...SAML_ERROR_CODES])(
    '%s: the HTTP status and the logout Status follow its row',
    (code) => {
      const e = new SamlError(code, 'x');
      const row = ERROR_CLASSES[code];
      expect(statusForError(e)).toBe(row.http);
      const status = logoutStatusForError(e);
      expect(status.message).toBe(code);
      if (row.logout === 'RequestDenied' || row.logout === 'UnknownPrincipal') {
        expect(status).toMatchObject({ code: 'Requester', subCode: row.logout });
      } else {
        expect(status.code).toBe(row.logout);
        expect(status.subCode).toBeUndefined();
      }
    },
  );
});
