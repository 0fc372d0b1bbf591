// Renders results/latest.json as the Markdown tables in README.md.

import { readFileSync, writeFileSync } from 'node:fs';
import type { HostileOutcome, HostileResult } from './hostile.js';
import type { Results } from './results.js';

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

function ms(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '–';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
}

function ratio(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${x.toFixed(1)}×`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function renderReadmeTable(r: Results): string {
  const lines: string[] = [];
  const m = r.machine as Record<string, unknown>;
  lines.push(
    `Measured ${r.generated_at} (${r.mode} run, ${r.duration_s} s) on ${String(m['cpu'])}, ${String(m['cores'])} cores, ${String(m['memory_gb'])} GB, Node ${String(m['node'])}; load average at start ${JSON.stringify(m['loadavg_at_start'])}. Raw figures: [results/latest.json](results/latest.json).`,
  );
  lines.push('');
  // The peers are the libraries whose checks are described (versions also lists tools).
  const peers = Object.keys(r.checks).filter((k) => k !== 'samlkit');
  const loadGenerator = r.versions['autocannon']
    ? `; ACS load from autocannon ${r.versions['autocannon']}`
    : '';
  lines.push(
    `Versions: samlkit ${r.versions['@samlkit/core']}, ${peers.map((p) => `${p} ${r.versions[p]}`).join(', ')}; timed with tinybench ${r.versions['tinybench']}${loadGenerator}.`,
  );
  for (const [size, sr] of Object.entries(r.sizes)) {
    lines.push('');
    lines.push(`### ${size} (${sr.attribute_values} attribute values)`);
    lines.push('');
    lines.push(
      `| variant | size | samlkit p50 / p99 (ms) | samlkit CPU/op | ${peers.map((p) => `${p} p50`).join(' | ')} | fastest peer ÷ samlkit | floor p50 | samlkit ÷ floor | samlkit ÷ floor, CPU | floor (xml-crypto c14n) |`,
    );
    lines.push(`|${' --- |'.repeat(9 + peers.length)}`);
    for (const [variant, v] of Object.entries(sr.variants)) {
      const peerCells = peers.map((p) => {
        const x = v.peers[p];
        if (!x) return '–';
        if (x.status === 'unsupported') return 'unsupported';
        if (x.status === 'unsafe') return '**accepted tampered**';
        return ms(x.p50_ms);
      });
      lines.push(
        `| ${r.variants[variant] ?? variant} | ${kib(v.bytes)} | ${ms(v.samlkit.p50_ms)} / ${ms(v.samlkit.p99_ms)} | ${ms(v.samlkit.cpu_ms_per_op)} | ${peerCells.join(' | ')} | ${ratio(v.ratio_fastest_peer)} | ${ms(v.floor.p50_ms)} | ${ratio(v.ratio_floor)} | ${ratio(cpuRatio(v))} | ${ms(v.floor_xml_crypto.p50_ms)} |`,
      );
    }
    lines.push('');
    lines.push(
      `ops/s (${Object.keys(sr.variants)[0]}): samlkit ${fmtOps(Object.values(sr.variants)[0]?.samlkit.ops_per_s)}, ${peers
        .map((p) => `${p} ${fmtOps(Object.values(sr.variants)[0]?.peers[p]?.ops_per_s)}`)
        .join(', ')}.`,
    );
  }
  lines.push('');
  lines.push(
    '### Peak RSS (MB, one process per library and size; `baseline` = Node + harness, no SAML library)',
  );
  lines.push('');
  const libs = Object.keys(Object.values(r.memory_peak_rss_mb)[0] ?? {});
  lines.push(`| size | ${libs.join(' | ')} |`);
  lines.push(`|${' --- |'.repeat(libs.length + 1)}`);
  for (const [size, mem] of Object.entries(r.memory_peak_rss_mb)) {
    lines.push(
      `| ${size} | ${libs.map((l) => (mem[l] === undefined ? '–' : mem[l]!.toFixed(0))).join(' | ')} |`,
    );
  }
  lines.push('');
  lines.push('### Growth (assertion signed, RSA-2048): p50 per KiB of document, µs');
  lines.push('');
  const sizes = Object.keys(r.sizes);
  lines.push(`| library | ${sizes.join(' | ')} |`);
  lines.push(`|${' --- |'.repeat(sizes.length + 1)}`);
  for (const [name, g] of Object.entries(r.targets.growth)) {
    lines.push(
      `| ${name} | ${sizes.map((s) => (g.us_per_kib[s] === undefined ? '–' : g.us_per_kib[s]!.toFixed(0))).join(' | ')} |`,
    );
  }
  lines.push('');
  lines.push('### Other operations (samlkit)');
  lines.push('');
  lines.push('| operation | ops/s | p50 (ms) | p99 (ms) | CPU/op (ms) |');
  lines.push('| --- | --- | --- | --- | --- |');
  for (const [name, o] of Object.entries(r.operations)) {
    lines.push(
      `| ${name} | ${fmtOps(o.ops_per_s)} | ${ms(o.p50_ms)} | ${ms(o.p99_ms)} | ${ms(o.cpu_ms_per_op)} |`,
    );
  }
  for (const [name, why] of Object.entries(r.not_run))
    lines.push(`| ${name} | not run: ${why} | | | |`);
  lines.push(...acsTable(r));
  lines.push('');
  lines.push('### Targets');
  lines.push('');
  lines.push('| target | size | variant | value | threshold | met |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const c of r.targets.checks) {
    lines.push(
      `| ${c.target} | ${c.size} | ${c.variant ?? ''} | ${c.value ?? '–'} | ${c.threshold} | ${c.met ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

/** The "ACS end to end" section: one row per adapter (none for files written before it existed). */
function acsTable(r: Results): string[] {
  const entries = Object.entries(r.acs_e2e ?? {});
  if (entries.length === 0) return [];
  const lines = ['', '### ACS end to end over HTTP (per adapter)', ''];
  const timed = entries.map(([, e]) => e).find((e) => e.status === 'timed');
  if (timed) {
    lines.push(
      `Each request is the POST of its own login to \`/saml/acs\`: a pending AuthnRequest started through \`/saml/login\`, answered by the test IdP with a freshly signed Response (${kib(timed.response_bytes)}, assertion signed, RSA-2048). ${timed.requests} requests over ${timed.connections} keep-alive connections, one in flight on each, after ${timed.warmup_requests} unmeasured ones, sent by autocannon from a process of its own (the server runs alone in another). Every answer must be the 303 to the finish step; anything else counts as an error. Server CPU is the server process's CPU time (user + system, all threads) per request.`,
    );
    lines.push('');
  }
  lines.push(
    '| adapter | server | requests/s | p50 (ms) | p99 (ms) | server CPU/request (ms) | framework floor (ms) | validateResponse (ms) | ACS / validateResponse (goal ≤ 1.3) | (ACS − floor) / validateResponse | errors | requests | connections |',
  );
  lines.push(`|${' --- |'.repeat(13)}`);
  for (const [name, e] of entries) {
    if (e.status !== 'timed') {
      lines.push(`| ${name} | not run: ${e.reason} |${' |'.repeat(11)}`);
      continue;
    }
    // Figures of runs from before the floor was measured have no floor columns.
    const floor = e.framework_floor_cpu_ms_per_request;
    lines.push(
      `| ${name} | ${e.server} | ${fmtOps(e.requests_per_s)} | ${ms(e.p50_ms)} | ${ms(e.p99_ms)} | ${ms(e.server_cpu_ms_per_request)} | ${floor === undefined ? '–' : ms(floor)} | ${ms(e.validate_response_cpu_ms)} | ${e.acs_vs_validate_response} | ${e.samlkit_vs_validate_response ?? '–'} | ${e.errors === 0 ? '0' : `**${e.errors}**`} | ${e.requests} | ${e.connections} |`,
    );
  }
  return lines;
}

/** samlkit CPU per operation ÷ the floor's: less sensitive than p50 to a busy machine. */
function cpuRatio(v: { samlkit: { cpu_ms_per_op?: number }; floor: { cpu_ms_per_op: number } }) {
  const sk = v.samlkit.cpu_ms_per_op;
  return sk === undefined ? null : Math.round((sk / v.floor.cpu_ms_per_op) * 10) / 10;
}

function fmtOps(x: number | undefined): string {
  if (x === undefined) return '–';
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
}

/** Replaces the generated block in the README (between the markers), keeping the prose. */
export function updateReadme(path: string, table: string): void {
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${path} lacks the ${START} … ${END} markers`);
  writeFileSync(path, `${text.slice(0, a + START.length)}\n${table}\n${text.slice(b)}`);
}

const HOSTILE_START = '<!-- hostile:start -->';
const HOSTILE_END = '<!-- hostile:end -->';

/** One library's figure on one hostile input, for a table cell. */
function hostileCell(o: HostileOutcome): string {
  if (o.status === 'unsupported') return 'not measured';
  if (o.status === 'failed') return '**process failed**';
  if (o.timedOut) return `**≥ ${ms(o.atLeastMs)}** (stopped)`;
  const t = `${ms(o.medianMs ?? undefined)} / ${ms(o.p95Ms ?? undefined)}`;
  return o.accepted ? `**accepted** (${t})` : t;
}

/** The hostile-input section of README.md, from latest.json's `hostile`. */
export function renderHostileTable(
  h: HostileResult,
  r: Pick<Results, 'machine'> & Partial<Results>,
): string {
  const m = (r.hostile_machine ?? r.machine) as Record<string, unknown>;
  const when = r.hostile_generated_at ?? r.generated_at;
  const peers = Object.keys(h.valid.peers);
  const lines: string[] = [];
  lines.push(
    `Measured ${when} (${r.mode ?? 'full'} run) on ${String(m['cpu'])}, ${String(m['cores'])} cores, Node ${String(m['node'])}; load average at start ${JSON.stringify(m['loadavg_at_start'])}${m['loadavg_at_end'] ? `, at the end ${JSON.stringify(m['loadavg_at_end'])}` : ''}. Documents of ${h.targetBytes.toLocaleString('en-US')} characters (samlkit's default limit is ${h.maxSize.toLocaleString('en-US')}); a library still busy with one input after ${h.timeoutMs / 1000} s is stopped. Goal: ${h.goal}. Met on **${h.summary.goalMet} of ${h.summary.shapes}** shapes.`,
  );
  lines.push('');
  lines.push(
    `| input | size | samlkit refused with | samlkit median / p95 (ms) | runs | goal met | ${peers.map((p) => `${p} median / p95 (ms)`).join(' | ')} |`,
  );
  lines.push(`|${' --- |'.repeat(6 + peers.length)}`);
  const v = h.valid;
  lines.push(
    `| valid Response (${v.attributeValues.toLocaleString('en-US')} attribute values), time to accept | ${kib(v.bytes)} | accepted | ${hostileCell(v)} | ${v.runs} | – | ${peers.map((p) => hostileCell(v.peers[p]!)).join(' | ')} |`,
  );
  for (const s of Object.values(h.shapes)) {
    const size =
      s.inflatedBytes !== undefined
        ? `${kib(s.bytes)} URL query → ${(s.inflatedBytes / 2 ** 20).toFixed(0)} MiB inflated`
        : kib(s.bytes);
    lines.push(
      `| ${s.label} | ${size} | ${s.refusedCode === null ? '–' : `\`${s.refusedCode}\``} | ${hostileCell(s)} | ${s.runs} | ${s.goalMet ? 'yes' : '**no**'} | ${peers.map((p) => hostileCell(s.peers[p]!)).join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** Replaces the hostile-input block in the README (between its markers), keeping the prose. */
export function updateHostileReadme(path: string, table: string): void {
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(HOSTILE_START);
  const b = text.indexOf(HOSTILE_END);
  if (a < 0 || b < a)
    throw new Error(`${path} lacks the ${HOSTILE_START} … ${HOSTILE_END} markers`);
  writeFileSync(path, `${text.slice(0, a + HOSTILE_START.length)}\n${table}\n${text.slice(b)}`);
}
