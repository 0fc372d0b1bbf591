// One approach to a federation aggregate, in a process of its own so its peak RSS is its own.
// Usage: node --import tsx src/federation-worker.ts <aggregate.xml> <federation-cert.pem> <streaming|dom> <now-ms> <entityId,…>
// Prints one JSON line: read, load (verify + index) and lookup times, peak RSS.

import { readFileSync } from 'node:fs';
import { loadPublicKey } from '../../packages/core/src/crypto/keys.js';
import { loadAggregate } from '../../packages/core/src/metadata/aggregate.js';
import { parseIdpMetadata } from '../../packages/core/src/metadata/idp.js';
import { runMain } from './run-main.js';

async function main(): Promise<void> {
  const [file, certFile, approach, nowArg, ids] = process.argv.slice(2);
  if (!file || !certFile || !approach || !nowArg || !ids) throw new Error('usage: see the header');
  const now = Number(nowArg);
  const entityIds = ids.split(',');
  const keys = [loadPublicKey(readFileSync(certFile, 'utf8'))];
  const t0 = performance.now();
  const xml = readFileSync(file, 'utf8');
  const t1 = performance.now();
  const maxSize = 128 * 1024 * 1024;
  if (approach === 'streaming') {
    const agg = await loadAggregate(xml, { keys, now, limits: { maxSize } });
    const t2 = performance.now();
    // The first lookup of each IdP parses its bytes; a second one is served from the cache.
    const cold: number[] = [];
    for (const id of entityIds) {
      const s = performance.now();
      const md = await agg.idp(id, { now });
      cold.push(performance.now() - s);
      if (md.entityId !== id) throw new Error(`wrong entity ${md.entityId}`);
    }
    const w = performance.now();
    await agg.idp(entityIds[0]!, { now });
    const warm = performance.now() - w;
    cold.sort((a, b) => a - b);
    process.stdout.write(
      `${JSON.stringify({
        approach,
        entities: agg.counts.entities,
        idps: agg.counts.idps,
        read_ms: t1 - t0,
        load_verify_index_ms: t2 - t1,
        lookup_first_median_ms: cold[Math.floor(cold.length / 2)],
        lookup_first_max_ms: cold[cold.length - 1],
        lookups: cold.length,
        lookup_cached_ms: warm,
        peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      })}\n`,
    );
    return;
  }
  // The straightforward way: parse the whole aggregate, verify, pick the IdP (and again for the
  // next lookup: nothing is kept but the document).
  const md = await parseIdpMetadata(xml, {
    entityId: entityIds[0]!,
    now,
    verify: { keys },
    limits: { maxSize },
  });
  const t2 = performance.now();
  if (md.entityId !== entityIds[0]) throw new Error('wrong entity');
  process.stdout.write(
    `${JSON.stringify({
      approach,
      read_ms: t1 - t0,
      load_verify_lookup_ms: t2 - t1,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  );
}

runMain('federation-worker', main);
