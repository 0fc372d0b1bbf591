// Code blocks in docs/ that say where they come from — an HTML comment
// `<!-- include: <file>#<region> -->` right above the block — must equal that region of the file
// (`// #region <name>` … `// #endregion`, dedented). The files are the tested applications, so the
// guide's steps are code the tests run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const INCLUDE = /<!-- include: ([^#\s]+)#([\w-]+) -->\n```(\w+)\n([\s\S]*?)```/g;

/** The lines between `// #region name` and the next `// #endregion`, without their common indent. */
function region(source: string, name: string): string | undefined {
  const lines = source.split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${name}`);
  if (start === -1) return undefined;
  const end = lines.findIndex((l, i) => i > start && l.trim() === '// #endregion');
  if (end === -1) return undefined;
  const body = lines.slice(start + 1, end);
  const indent = Math.min(
    ...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length),
  );
  return `${body.map((l) => l.slice(indent)).join('\n')}\n`;
}

const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));
const included = docs.flatMap((doc) =>
  [...readFileSync(join(root, 'docs', doc), 'utf8').matchAll(INCLUDE)].map((m) => ({
    doc,
    file: m[1]!,
    name: m[2]!,
    block: m[4]!,
  })),
);

describe('code blocks included from tested files', () => {
  it('the migration guide takes its Passport and Express steps from the tested applications', () => {
    const files = included
      .filter((i) => i.doc === 'migrating-from-node-saml.md')
      .map((i) => `${i.file}#${i.name}`);
    expect(files).toEqual(
      expect.arrayContaining([
        'packages/passport/test/app.ts#imports',
        'packages/passport/test/app.ts#strategy',
        'packages/passport/test/app.ts#middleware',
        'packages/passport/test/app.ts#routes',
        'packages/express/test/migration-app.ts#imports',
        'packages/express/test/migration-app.ts#saml',
        'packages/express/test/migration-app.ts#routes',
      ]),
    );
  });

  for (const { doc, file, name, block } of included) {
    it(`docs/${doc}: the block from ${file}#${name} is that region`, () => {
      const source = readFileSync(join(root, file), 'utf8');
      expect(region(source, name), `${file} has no region ${name}`).toBeDefined();
      expect(block).toBe(region(source, name));
    });
  }

  it('region() dedents and stops at the first #endregion', () => {
    const source = 'x\n  // #region a\n    one\n\n      two\n  // #endregion\n  // #endregion\n';
    expect(region(source, 'a')).toBe('one\n\n  two\n');
    expect(region(source, 'b')).toBeUndefined();
  });
});
