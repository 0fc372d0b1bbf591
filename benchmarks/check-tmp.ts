import { CONTENDER_LOADERS } from './src/contenders/index.ts';
import { readFixtures, VARIANTS } from './src/fixtures.ts';

const f = readFixtures('/tmp/fx.json');
for (const [name, load] of Object.entries(CONTENDER_LOADERS)) {
  const c = await load();
  for (const v of VARIANTS) {
    const doc = f.documents.small![v]!;
    const val = await c.prepare(f, v);
    let ok = 'ERR',
      bad = 'ACCEPTED!';
    try {
      ok = await val(Buffer.from(doc.valid).toString('base64'));
    } catch (e) {
      ok = 'ERR ' + (e as Error).message;
    }
    try {
      await val(Buffer.from(doc.tampered).toString('base64'));
    } catch (e) {
      bad = 'refused: ' + (e as Error).message.slice(0, 80);
    }
    console.log(name, c.version, v, '|', ok, '|', bad);
  }
}
