// The docs site's sidebar follows the reading order of the docs index (docs/README.md), not file
// names: typedoc.json lists the guides in that order (TypeDoc keeps documents in the order given)
// and leaves none out.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the docs site sidebar', () => {
  it('lists every guide in the order the docs index links them', () => {
    const index = readFileSync(join(root, 'docs/README.md'), 'utf8');
    const order: string[] = [];
    for (const m of index.matchAll(/\]\(\.\/([a-z0-9-]+\.md)/g)) {
      const doc = `docs/${m[1]}`;
      if (!order.includes(doc)) order.push(doc);
    }
    const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as {
      projectDocuments: string[];
      sort?: string[];
    };
    expect(config.projectDocuments).toEqual(order);
    const guides = readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md') && f !== 'README.md')
      .map((f) => `docs/${f}`);
    expect([...order].sort()).toEqual(guides.sort());
    // The default sort keeps documents in the order given; an explicit `sort` must too.
    for (const strategy of config.sort ?? []) expect(strategy).not.toBe('alphabetical');
  });
});
