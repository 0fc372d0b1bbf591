// One approach to a federation aggregate, in a process of its own so its peak RSS is its own.
// Usage: node --import tsx src/federation-worker.ts <aggregate.xml> <federation-cert.pem> <streaming|dom> <now-ms> <entityId,…>
//        node --expose-gc --import tsx src/federation-worker.ts <aggregate.xml> <cert.pem> refresh <now-ms> <entityId,…> <second-aggregate.xml>
// Prints one JSON line: read, load (verify + index) and lookup times, peak RSS; for `refresh`,
// the peak RSS of a background refresh to the second aggregate while the first one serves.

import { readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadPublicKey } from '../../packages/core/src/crypto/keys.js';
import { loadAggregate } from '../../packages/core/src/metadata/aggregate.js';
import { createAggregateSource } from '../../packages/core/src/metadata/aggregate-source.js';
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
  if (approach === 'refresh') {
    await refresh(file, process.argv[7]!, keys, now, entityIds);
    return;
  }
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

/** Peak RSS since the last reset (Linux: VmHWM), in MB. */
function peakMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Linux: sets the peak RSS back to the current RSS (proc(5), clear_refs value 5). */
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

function settledRssMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
}

/** What the heap holds after a full collection (the live aggregate(s)), in MB. */
function liveHeapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.external) / 1024 / 1024;
}

/**
 * The aggregate source's scheduled refresh: the first aggregate serves (lookups answered), the
 * clock moves past the refresh interval, `get()` starts the refresh in the background and returns
 * the aggregate in force; the peak RSS is taken from a reset just before until the new aggregate
 * replaced the old one.
 */
async function refresh(
  first: string,
  second: string,
  keys: ReturnType<typeof loadPublicKey>[],
  now: number,
  entityIds: string[],
): Promise<void> {
  let clock = now;
  let file = first;
  const source = createAggregateSource({
    // One read into one buffer (fs.promises.readFile collects chunks, then copies them: more
    // memory at the peak for a 65 MB file).
    load: async () => readFileSync(file, 'utf8'),
    keys,
    now: () => clock,
    limits: { maxSize: 128 * 1024 * 1024 },
  });
  const t0 = performance.now();
  await source.get();
  const initialMs = performance.now() - t0;
  const loadPeak = peakMb();
  for (const id of entityIds.slice(0, 20))
    await source.resolver.lookup({ purpose: 'message', entityId: id });
  const steady = settledRssMb();
  const liveBefore = liveHeapMb();
  resetPeak();
  file = second;
  clock = now + 7 * 3600_000; // past the default 6-hour interval
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const r0 = performance.now();
  // Starts the refresh and answers with the aggregate in force (only its counts are kept here, so
  // that nothing but the source holds the old aggregate).
  const beforeCounts = (await source.get()).counts;
  const getMs = performance.now() - r0;
  await source.idle();
  const refreshMs = performance.now() - r0;
  delay.disable();
  const refreshPeak = peakMb();
  const after = await source.get();
  if (after.counts === beforeCounts) throw new Error('the refresh did not replace the aggregate');
  const afterRss = settledRssMb();
  const liveAfter = liveHeapMb();
  process.stdout.write(
    `${JSON.stringify({
      approach: 'refresh',
      initial_load_ms: initialMs,
      load_peak_rss_mb: loadPeak,
      steady_rss_mb: steady,
      get_during_refresh_ms: getMs,
      refresh_ms: refreshMs,
      refresh_peak_rss_mb: refreshPeak,
      refresh_peak_over_steady_mb: refreshPeak - steady,
      after_refresh_rss_mb: afterRss,
      live_heap_before_refresh_mb: liveBefore,
      live_heap_after_refresh_mb: liveAfter,
      event_loop_max_block_ms: delay.max / 1e6,
    })}\n`,
  );
}

runMain('federation-worker', main);
