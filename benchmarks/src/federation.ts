// Federation aggregates at eduGAIN's scale: a synthetic aggregate (testkit's buildAggregate:
// 15,000 entities, IdPs and SPs with mdui, shibmd:Scope, registration info, entity categories and
// real X.509 certificates, signed by a test federation key), loaded two ways, each in a process of
// its own: samlkit's streaming loader (loadAggregate: verify without a DOM, index, parse an IdP
// from its bytes on lookup) and the straightforward DOM way (parseIdpMetadata on the whole
// document with the size limit raised).
// Usage: node --import tsx src/federation.ts [--entities N] [--out results/latest.json]
//        [--only streaming|dom|refresh[,…]]
// Merges `federation` into the output file (the other keys stay as they are); with --only, the
// parts left out are omitted from it.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateTestKeys } from '@samlkit/testkit';
import { buildAggregate } from '../../packages/testkit/src/aggregate.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const log = (m: string) => process.stderr.write(`${m}\n`);

function worker(args: string[], nodeFlags: string[] = []): Record<string, unknown> {
  const r = spawnSync(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', join(benchDir, 'src/federation-worker.ts'), ...args],
    { cwd: benchDir, encoding: 'utf8', maxBuffer: 1 << 20, timeout: 600_000 },
  );
  if (r.status !== 0) throw new Error(`federation-worker ${args[2]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

const round = (v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { entities: { type: 'string' }, out: { type: 'string' }, only: { type: 'string' } },
  });
  // --only streaming: the load and the lookups alone (no DOM baseline, no refresh).
  const only = new Set((values.only ?? 'streaming,dom,refresh').split(','));
  for (const part of only) {
    if (!['streaming', 'dom', 'refresh'].includes(part)) throw new Error(`--only: unknown ${part}`);
  }
  const entities = Number(values.entities ?? 15000);
  const out = values.out ?? join(benchDir, 'results/latest.json');
  const started = Date.now();
  const loadAtStart = loadavg();
  log('federation: keys…');
  const fed = await generateTestKeys({ subject: 'bench federation' });
  const certs: string[] = [];
  for (let i = 0; i < 16; i++) {
    certs.push((await generateTestKeys({ subject: `bench entity ${i}` })).certificatePem);
  }
  const now = Date.UTC(2026, 11, 1);
  log(`federation: generating ${entities} entities…`);
  const g0 = performance.now();
  const agg = await buildAggregate({ entities, signingKey: fed, certificates: certs, now });
  const generateMs = performance.now() - g0;
  const dir = mkdtempSync(join(tmpdir(), 'samlkit-federation-'));
  try {
    const file = join(dir, 'aggregate.xml');
    const certFile = join(dir, 'federation.pem');
    writeFileSync(file, agg.xml);
    writeFileSync(certFile, fed.certificatePem);
    const idps = agg.entities.filter((e) => e.role === 'idp');
    // 100 IdPs spread over the document, the last one included.
    const picks = Array.from(
      { length: 100 },
      (_, i) => idps[Math.floor(((i + 1) * (idps.length - 1)) / 100)]!.entityId,
    );
    const args = (approach: string) => [
      file,
      certFile,
      approach,
      String(now + 3600_000),
      picks.join(','),
    ];
    log(`federation: ${(agg.xml.length / 1e6).toFixed(1)} MB`);
    let streaming: Record<string, unknown> | undefined;
    let dom: Record<string, unknown> | undefined;
    let refresh: Record<string, unknown> | undefined;
    if (only.has('streaming')) {
      log('federation: streaming loader…');
      streaming = worker(args('streaming'));
    }
    if (only.has('dom')) {
      log('federation: DOM…');
      dom = worker(args('dom'));
    }
    if (only.has('refresh')) {
      // A scheduled refresh to a newer aggregate of the same size while the first one serves.
      log('federation: generating the next aggregate for the refresh…');
      const next = await buildAggregate({
        entities,
        signingKey: fed,
        certificates: certs,
        now: now + 3600_000,
      });
      const nextFile = join(dir, 'aggregate-next.xml');
      writeFileSync(nextFile, next.xml);
      log('federation: refresh…');
      refresh = worker([...args('refresh'), nextFile], ['--expose-gc']);
    }
    const rounded = (r: Record<string, unknown> | undefined) =>
      r && Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]));
    const result = {
      generated_at: new Date().toISOString(),
      duration_s: Math.round((Date.now() - started) / 1000),
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model ?? '',
        node: process.version,
        loadavg_at_start: loadAtStart.map((v) => Math.round(v * 100) / 100),
        loadavg_at_end: loadavg().map((v) => Math.round(v * 100) / 100),
      },
      aggregate: {
        entities,
        idps: idps.length,
        sps: entities - idps.length,
        megabytes: Math.round(agg.xml.length / 1e4) / 100,
        generate_ms: Math.round(generateMs),
        certificates_in_pool: certs.length,
      },
      goal: 'load + signature check + index < 10 s, peak RSS < 500 MB, lookup of one IdP < 1 ms',
      streaming: rounded(streaming),
      dom: rounded(dom),
      refresh: rounded(refresh),
      refresh_peak_rss_mb: round(refresh?.refresh_peak_rss_mb),
      // The longest event-loop stalls (monitorEventLoopDelay) while an aggregate loads and while
      // the source refreshes it: what a login served by the same process may wait.
      event_loop_goal: 'max stall < 100 ms during a load and a refresh (quiet machine)',
      event_loop: {
        streaming_load_max_ms: round(streaming?.load_event_loop_max_ms),
        streaming_load_p99_ms: round(streaming?.load_event_loop_p99_ms),
        source_load_max_ms: round(refresh?.load_event_loop_max_ms),
        source_load_p99_ms: round(refresh?.load_event_loop_p99_ms),
        refresh_max_ms: round(refresh?.refresh_event_loop_max_ms),
        refresh_p99_ms: round(refresh?.refresh_event_loop_p99_ms),
      },
    };
    const current = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {};
    writeFileSync(out, `${JSON.stringify({ ...current, federation: result }, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
