// Every ```ts / ```js block of docs/ is a program that compiles: strict TypeScript, under the
// nodenext and the bundler module resolution a reader's project uses (test/docs/snippets.ts).
// Fragments compile after the declarations of their context; a copy of a tested file must be
// found in that file; only a block marked `skip` with a reason is left out.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readSnippets, typeCheck } from './snippets.js';

// docs/migrating-from-node-saml.md is rewritten together with @samlkit/passport, whose tests hold
// that guide's code; until the new guide lands its old block is the one not compiled here.
const snippets = readSnippets();
const compiled = snippets.filter((s) => s.directive.kind !== 'skip' && s.directive.kind !== 'file');

/** The lines of a text without indentation and blank lines, for "is this block in that file". */
const lines = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');

describe('the code blocks of docs/', () => {
  it('are found (the extractor reads every guide)', () => {
    expect(snippets.length).toBeGreaterThan(40);
  });

  it('skip only with a reason', () => {
    for (const s of snippets) {
      if (s.directive.kind === 'skip')
        expect(s.directive.reason.length, s.where).toBeGreaterThan(10);
    }
  });

  it('that copy a tested file are found in that file', () => {
    for (const s of snippets) {
      if (s.directive.kind !== 'file') continue;
      const path = join(ROOT, s.directive.path);
      expect(existsSync(path), `${s.where}: ${s.directive.path}`).toBe(true);
      expect(lines(readFileSync(path, 'utf8')), s.where).toContain(lines(s.code));
    }
  });

  it.each(['nodenext', 'bundler'] as const)(
    'type-check under strict %s resolution',
    (mode) => {
      const result = typeCheck(compiled, mode);
      const errors = [...result.values()].flat();
      expect(errors).toEqual([]);
    },
    300_000,
  ); // a whole TypeScript program over the sources of every package
});
