// Every published package carries what its npm page and its users need: the license, a README,
// where the code and issues live, and (for core) the error-code reference.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const license = readFileSync(join(root, 'LICENSE'), 'utf8');

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  files?: string[];
  repository?: { type: string; url: string; directory: string };
  homepage?: string;
  bugs?: { url: string };
}

const published = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir,
    manifest: JSON.parse(
      readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'),
    ) as Manifest,
  }))
  .filter(({ manifest }) => manifest.private !== true);

describe('published packages', () => {
  it('are the nine samlkit packages', () => {
    expect(published.map((p) => p.manifest.name).sort()).toEqual(
      ['cli', 'core', 'express', 'fastify', 'fetch', 'koa', 'passport', 'redis', 'testkit'].map(
        (n) => `@samlkit/${n}`,
      ),
    );
  });

  for (const { dir, manifest } of published) {
    it(`${manifest.name} ships LICENSE and README and says where it lives`, () => {
      expect(manifest.license).toBe('MIT');
      expect(readFileSync(join(root, 'packages', dir, 'LICENSE'), 'utf8')).toBe(license);
      expect(readFileSync(join(root, 'packages', dir, 'README.md'), 'utf8')).toMatch(
        new RegExp(`^# ${manifest.name.replace('/', '\\/')}\\n`),
      );
      expect(manifest.files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'dist']));
      expect(manifest.repository?.directory).toBe(`packages/${dir}`);
      expect(manifest.homepage).toMatch(/^https:\/\//);
      expect(manifest.bugs?.url).toMatch(/^https:\/\//);
    });
  }

  it('@samlkit/core packs ERRORS.md, the documented error codes', () => {
    const out = mkdtempSync(join(tmpdir(), 'samlkit-pack-'));
    try {
      execFileSync('pnpm', ['pack', '--pack-destination', out], {
        cwd: join(root, 'packages', 'core'),
        stdio: 'pipe',
      });
      const tarball = readdirSync(out).find((f) => f.endsWith('.tgz'));
      expect(tarball).toBeDefined();
      const listing = execFileSync('tar', ['tzf', join(out, tarball as string)], {
        encoding: 'utf8',
      });
      expect(listing.split('\n')).toEqual(
        expect.arrayContaining(['package/ERRORS.md', 'package/LICENSE', 'package/README.md']),
      );
      const errors = execFileSync(
        'tar',
        ['xzOf', join(out, tarball as string), 'package/ERRORS.md'],
        {
          encoding: 'utf8',
        },
      );
      expect(errors).toBe(readFileSync(join(root, 'docs', 'errors.md'), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(join(root, 'packages', 'core', 'ERRORS.md'), { force: true });
    }
  });
});
