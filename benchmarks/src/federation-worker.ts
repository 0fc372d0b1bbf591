// One approach to a federation aggregate, in a process of its own so its peak RSS is its own.
// Usage: node --import tsx src/federation-worker.ts <aggregate.xml> <federation-cert.pem> <streaming|dom> <now-ms> <entityId,…>
//        node --expose-gc --import tsx src/federation-worker.ts <aggregate.xml> <cert.pem> refresh <now-ms> <entityId,…> <second-aggregate.xml>
// Prints one JSON line: read, load (verify + index) and lookup times, peak RSS, the event loop's
// delay during the load; for `refresh`, memory at each step and the peak RSS and event-loop
// delay of a background refresh to the second aggregate while the first one serves.
// Files are read asynchronously, as a server would (a synchronous read of 65 MB would itself hold
// the event loop), into one buffer of the file's size (readText below).

import { readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
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
  if (approach === 'refresh') {
    // Before anything reads the file: nothing but the source holds a copy of the text.
    await refresh(file, process.argv[7]!, keys, now, entityIds);
    return;
  }
  const maxSize = 128 * 1024 * 1024;
  if (approach === 'streaming') {
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const t0 = performance.now();
    const xml = await readText(file);
    const t1 = performance.now();
    const agg = await loadAggregate(xml, { keys, now, limits: { maxSize } });
    const t2 = performance.now();
    delay.disable();
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
        ...stalls('load_event_loop', delay),
      })}\n`,
    );
    return;
  }
  const t0 = performance.now();
  const xml = await readText(file);
  const t1 = performance.now();
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

/**
 * A file's text, read asynchronously in 1 MiB pieces into one buffer of the file's size, then
 * decoded once (that decoding is one piece of work: ~0.3 s of CPU for 65 MB here). Not
 * `fs.promises.readFile`: it collects the pieces and concatenates them, one more copy of the
 * bytes at the peak (+190 MB of peak RSS measured for the 65 MB aggregate).
 */
async function readText(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(buffer, at, Math.min(1 << 20, size - at), at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return buffer.toString('utf8', 0, at);
  } finally {
    await handle.close();
  }
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

/** The longest and the 99th-percentile event-loop delay, in ms, as `<prefix>_max_ms` / `_p99_ms`. */
function stalls(prefix: string, h: IntervalHistogram): Record<string, number> {
  return { [`${prefix}_max_ms`]: h.max / 1e6, [`${prefix}_p99_ms`]: h.percentile(99) / 1e6 };
}

/**
 * Memory after full collections (`--expose-gc`), in MB. A macrotask between two collections lets
 * native memory freed by weak callbacks go (WebCrypto's copy of the canonical bytes).
 */
async function settledMemory(prefix: string): Promise<Record<string, number>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc?.();
  const m = process.memoryUsage();
  const mb = (v: number) => v / 1024 / 1024;
  return {
    [`${prefix}_rss_mb`]: mb(m.rss),
    [`${prefix}_heap_total_mb`]: mb(m.heapTotal),
    [`${prefix}_heap_used_mb`]: mb(m.heapUsed),
    [`${prefix}_external_mb`]: mb(m.external),
  };
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
    // Asynchronous, as a server reads (a synchronous read holds the event loop).
    load: () => readText(file),
    keys,
    now: () => clock,
    limits: { maxSize: 128 * 1024 * 1024 },
  });
  const start = await settledMemory('start');
  const loadDelay = monitorEventLoopDelay({ resolution: 5 });
  loadDelay.enable();
  const t0 = performance.now();
  await source.get();
  const initialMs = performance.now() - t0;
  loadDelay.disable();
  const loadPeak = peakMb();
  const afterLoad = await settledMemory('after_load');
  for (const id of entityIds.slice(0, 20))
    await source.resolver.lookup({ purpose: 'message', entityId: id });
  const steadyMemory = await settledMemory('steady');
  const steady = steadyMemory.steady_rss_mb!;
  const liveBefore = steadyMemory.steady_heap_used_mb! + steadyMemory.steady_external_mb!;
  resetPeak();
  file = second;
  clock = now + 7 * 3600_000; // past the default 6-hour interval
  const delay = monitorEventLoopDelay({ resolution: 5 });
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
  const afterMemory = await settledMemory('after_refresh');
  const liveAfter =
    afterMemory.after_refresh_heap_used_mb! + afterMemory.after_refresh_external_mb!;
  process.stdout.write(
    `${JSON.stringify({
      approach: 'refresh',
      initial_load_ms: initialMs,
      load_peak_rss_mb: loadPeak,
      ...start,
      ...afterLoad,
      ...steadyMemory,
      ...stalls('load_event_loop', loadDelay),
      ...stalls('refresh_event_loop', delay),
      get_during_refresh_ms: getMs,
      refresh_ms: refreshMs,
      refresh_peak_rss_mb: refreshPeak,
      refresh_peak_over_steady_mb: refreshPeak - steady,
      ...afterMemory,
      live_heap_before_refresh_mb: liveBefore,
      live_heap_after_refresh_mb: liveAfter,
    })}\n`,
  );
}

runMain('federation-worker', main);
