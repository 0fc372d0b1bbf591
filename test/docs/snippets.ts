// Reads the code blocks of docs/*.md and type-checks them as programs, the way a reader who copies
// them into a project of their own would compile them.
//
// A ```ts or ```js block is a whole program unless the HTML comment right above it says otherwise:
//   <!-- snippet: context NAME, … --> a fragment of a larger program: compiled after the
//                                    declarations of test/docs/contexts/NAME.ts (the values the
//                                    surrounding text has already introduced: `saml`, `app`, …;
//                                    a context declares values only, the block shows its imports)
//   <!-- snippet: run NAME -->       a whole program that test/docs/docs-snippets.test.ts also runs
//   <!-- snippet: file PATH -->      a copy of part of PATH, a tested file: it must appear there
//   <!-- snippet: skip REASON -->    not compiled; the text around the block says why
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT: string = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = join(ROOT, 'docs');
const CONTEXTS = join(ROOT, 'test/docs/contexts');
/** Where the snippets seem to live (nothing is written there: the compiler host serves them). */
export const SNIPPET_DIR: string = join(ROOT, 'test/docs/.snippets');

/** One code block of the docs. */
export interface Snippet {
  /** `getting-started-express.md:15` (file and the line of the opening fence). */
  readonly where: string;
  readonly doc: string;
  readonly line: number;
  readonly lang: 'ts' | 'js';
  readonly code: string;
  readonly directive:
    | { readonly kind: 'program' }
    | { readonly kind: 'context'; readonly name: string }
    | { readonly kind: 'run'; readonly name: string }
    | { readonly kind: 'file'; readonly path: string }
    | { readonly kind: 'skip'; readonly reason: string };
}

const FENCE = /^```(\w*)\s*$/;
const DIRECTIVE = /^<!--\s*snippet:\s*(context|run|file|skip)\s+(.+?)\s*-->$/;
/** `<!-- include: FILE#REGION -->`: the block is that region of a tested file (test/repo/doc-includes.test.ts). */
const INCLUDE = /^<!--\s*include:\s*([^#\s]+)#[\w-]+\s*-->$/;
const CODE_LANGS: Record<string, 'ts' | 'js'> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
  mjs: 'js',
};

/** Every ```ts / ```js block of docs/*.md with the directive above it. */
export function readSnippets(): Snippet[] {
  const out: Snippet[] = [];
  for (const doc of readdirSync(DOCS)
    .filter((f) => f.endsWith('.md'))
    .sort()) {
    const lines = readFileSync(join(DOCS, doc), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = FENCE.exec(lines[i]!);
      if (!open) continue;
      let end = i + 1;
      while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
      const lang = CODE_LANGS[open[1]!];
      if (lang) {
        let above = i - 1;
        while (above >= 0 && lines[above]!.trim() === '') above--;
        const d = above >= 0 ? DIRECTIVE.exec(lines[above]!.trim()) : null;
        const included = above >= 0 ? INCLUDE.exec(lines[above]!.trim()) : null;
        const arg = d?.[2] ?? '';
        const directive: Snippet['directive'] = included
          ? { kind: 'file', path: included[1]! }
          : d?.[1] === 'context'
            ? { kind: 'context', name: arg }
            : d?.[1] === 'run'
              ? { kind: 'run', name: arg }
              : d?.[1] === 'file'
                ? { kind: 'file', path: arg }
                : d?.[1] === 'skip'
                  ? { kind: 'skip', reason: arg }
                  : { kind: 'program' };
        out.push({
          where: `${doc}:${i + 1}`,
          doc,
          line: i + 1,
          lang,
          code: lines.slice(i + 1, end).join('\n'),
          directive,
        });
      }
      i = end;
    }
  }
  return out;
}

/** The declarations a `context NAME` fragment is compiled after. */
export function contextSource(name: string): string {
  return readFileSync(join(CONTEXTS, `${name}.ts`), 'utf8');
}

/** The virtual file name of a snippet. */
export function snippetFile(s: Snippet): string {
  return join(
    SNIPPET_DIR,
    `${s.doc.replace(/\.md$/, '')}-${s.line}.${s.lang === 'ts' ? 'ts' : 'js'}`,
  );
}

/** The module text compiled for a snippet (a context's declarations first, then the block). */
export function snippetProgram(s: Snippet): string {
  const prelude =
    s.directive.kind === 'context'
      ? s.directive.name
          .split(',')
          .map((n) => contextSource(n.trim()))
          .join('\n')
      : '';
  // `export {}` makes every block a module, as a file of an ESM project is.
  return `${prelude}\n${s.code}\nexport {};\n`;
}

const samlkitPaths = Object.fromEntries(
  ['core', 'express', 'koa', 'fastify', 'fetch', 'redis', 'testkit', 'cli'].map((p) => [
    `@samlkit/${p}`,
    [join(ROOT, `packages/${p}/src/index.ts`)],
  ]),
);

/** The two module resolutions a reader's project uses. */
export const RESOLUTIONS: Record<'nodenext' | 'bundler', ts.CompilerOptions> = {
  nodenext: {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  },
  bundler: {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  },
};

/**
 * Type-checks the snippets under strict TypeScript with one module resolution. The samlkit
 * packages resolve to their sources (`paths`), so no build is needed. Returns the diagnostics of
 * the snippets themselves, formatted, keyed by `where`.
 */
export function typeCheck(
  snippets: readonly Snippet[],
  resolution: keyof typeof RESOLUTIONS,
): Map<string, string[]> {
  const options: ts.CompilerOptions = {
    ...RESOLUTIONS[resolution],
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    allowJs: true,
    checkJs: true,
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
    baseUrl: ROOT,
    paths: { ...samlkitPaths, '@/*': [join(ROOT, 'test/docs/next/*.ts')] },
  };
  const files = new Map<string, string>();
  const byFile = new Map<string, Snippet>();
  for (const s of snippets) {
    const file = snippetFile(s);
    files.set(file, snippetProgram(s));
    byFile.set(file, s);
  }
  // Under nodenext a .ts file is ESM only below a package.json with "type": "module".
  const pkg = join(SNIPPET_DIR, 'package.json');
  files.set(pkg, '{ "type": "module" }');
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
  host.readFile = (f) => files.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = files.get(f);
    if (text !== undefined) return ts.createSourceFile(f, text, lang, true);
    return getSourceFile.call(host, f, lang, ...rest);
  };
  host.directoryExists = (d) => d === SNIPPET_DIR || ts.sys.directoryExists(d);
  const program = ts.createProgram({
    rootNames: [...byFile.keys()],
    options,
    host,
  });
  const out = new Map<string, string[]>();
  for (const [file, s] of byFile) {
    const source = program.getSourceFile(file);
    const diags = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    const offset = snippetProgram(s).split('\n').length - s.code.split('\n').length - 2;
    out.set(
      s.where,
      diags.map((d) => {
        const pos =
          d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
        const line = pos ? pos.line - offset : 0;
        return `${s.doc}:${s.line + line} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')} (TS${d.code})`;
      }),
    );
  }
  return out;
}

/** The directory of this file (for tests that write snippets next to it). */
export const HERE: string = dirname(fileURLToPath(import.meta.url));
