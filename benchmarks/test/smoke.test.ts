// Runs the benchmark harness in its tiny mode and checks that it works: every contender was
// checked against the valid and the tampered document, every adapter served distinct valid logins
// at its ACS over HTTP without an error, every hostile input was refused with a code of the right
// kind, and latest.json has every field. It never asserts timings.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAML_ERROR_CODES } from '@samlkit/core';
import { afterAll, describe, expect, it } from 'vitest';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const PEERS = ['@node-saml/node-saml', 'samlify', '@boxyhq/saml20', 'saml2-js'];
const VARIANTS = [
  'rsa-assertion',
  'rsa-response-and-assertion',
  'ecdsa-assertion',
  'rsa-encrypted',
];
const STATS = ['samples', 'ops_per_s', 'mean_ms', 'p50_ms', 'p99_ms', 'min_ms', 'cpu_ms_per_op'];
const ADAPTERS = ['@samlkit/express', '@samlkit/koa', '@samlkit/fastify', '@samlkit/fetch'];
const ACS_STATS = [
  'requests_per_s',
  'p50_ms',
  'p99_ms',
  'mean_ms',
  'server_cpu_ms_per_request',
  'framework_floor_cpu_ms_per_request',
  'samlkit_vs_validate_response',
];
// The refusal each hostile shape must meet: the exact code where only one check can refuse it, the
// family (parser or signature) where a structural limit may refuse it before the signature does.
const PARSER_OR_SIGNATURE = /^(XML_|SIGNATURE_)/;
const HOSTILE_CODES: Record<string, RegExp> = {
  'deep-nesting': /^XML_/,
  'xmlns-flood-one-element': PARSER_OR_SIGNATURE,
  'xmlns-flood-every-element': PARSER_OR_SIGNATURE,
  'prefixlist-many-elements': PARSER_OR_SIGNATURE,
  'attribute-flood': PARSER_OR_SIGNATURE,
  'base64-signature-value': PARSER_OR_SIGNATURE,
  'base64-x509-certificate': PARSER_OR_SIGNATURE,
  'base64-attribute-value': PARSER_OR_SIGNATURE,
  'many-references': /^XML_TOO_MANY_SIGNATURE_REFERENCES$/,
  'many-transforms': /^XML_TOO_MANY_TRANSFORMS$/,
  'doctype-billion-laughs': /^XML_DOCTYPE_FORBIDDEN$/,
  'doctype-external-entity': /^XML_DOCTYPE_FORBIDDEN$/,
  'doctype-after-comments': /^XML_DOCTYPE_FORBIDDEN$/,
  'doctype-parameter-entities': /^XML_DOCTYPE_FORBIDDEN$/,
  'many-siblings': PARSER_OR_SIGNATURE,
  'comment-run': PARSER_OR_SIGNATURE,
  'pi-run': PARSER_OR_SIGNATURE,
  oversize: /^XML_TOO_LARGE$/,
  'deflate-bomb-redirect': /^INFLATE_TOO_LARGE$/,
};
const HOSTILE_FIELDS = ['bytes', 'refusedCode', 'medianMs', 'p95Ms', 'runs', 'goalMet'];

describe('benchmark harness (smoke run)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samlkit-bench-smoke-'));
  const out = join(dir, 'latest.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('produces latest.json with every field, each contender checked', { timeout: 300_000 }, () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', '--smoke', '--out', out],
      { cwd: benchDir, encoding: 'utf8', timeout: 290_000 },
    );
    if (run.status !== 0) console.error(run.stderr);
    expect(run.status).toBe(0);
    // biome-ignore lint/suspicious/noExplicitAny: free-form JSON under test
    const r = JSON.parse(readFileSync(out, 'utf8')) as any;
    expect(r.schema).toBe('samlkit-benchmarks/1');
    expect(r.mode).toBe('smoke');
    for (const key of [
      'machine',
      'versions',
      'checks',
      'documents',
      'xmlsec1',
      'memory_peak_rss_mb',
      'operations',
      'acs_e2e',
      'acs_in_process',
      'not_run',
      'targets',
    ]) {
      expect(r, key).toHaveProperty(key);
    }
    for (const p of ['samlkit', ...PEERS]) expect(typeof r.checks[p]).toBe('string');
    const small = r.sizes.small;
    expect(Object.keys(small.variants).sort()).toEqual([...VARIANTS].sort());
    for (const variant of VARIANTS) {
      const v = small.variants[variant];
      expect(v.samlkit.status).toBe('timed');
      expect(v.samlkit.accepts_valid).toBe(true);
      expect(v.samlkit.refuses_tampered).toBe(true);
      for (const s of STATS) expect(typeof v.samlkit[s], `${variant} samlkit.${s}`).toBe('number');
      for (const s of STATS) expect(typeof v.floor[s]).toBe('number');
      for (const s of STATS) expect(typeof v.floor_xml_crypto[s]).toBe('number');
      expect(typeof v.ratio_floor).toBe('number');
      for (const peer of PEERS) {
        const p = v.peers[peer];
        // No library may be timed doing less than validating: the tampered copy is refused by all.
        expect(p.refuses_tampered, `${variant} ${peer} refuses tampered`).toBe(true);
        expect(['timed', 'unsupported']).toContain(p.status);
        if (p.status === 'timed') {
          expect(p.accepts_valid).toBe(true);
          expect(typeof p.p50_ms).toBe('number');
          expect(typeof p.samlkit_speedup).toBe('number');
        }
      }
      if (v.fastest_peer !== null) {
        expect(v.ratio_fastest_peer).toBeCloseTo(
          v.peers[v.fastest_peer].p50_ms / v.samlkit.p50_ms,
          1,
        );
      }
    }
    // Every peer validates the RSA variants; none is skipped there.
    for (const peer of PEERS)
      expect(small.variants['rsa-assertion'].peers[peer].status).toBe('timed');
    for (const lib of ['baseline', 'samlkit', ...PEERS]) {
      expect(typeof r.memory_peak_rss_mb.small[lib]).toBe('number');
    }
    // The ACS in process: measured (every login answered 303), both figures present.
    expect(r.acs_in_process.status, r.acs_in_process.reason).toBeUndefined();
    for (const s of ['acs_cpu_ms', 'validate_response_cpu_ms', 'acs_vs_validate_response']) {
      expect(typeof r.acs_in_process[s], `acs_in_process.${s}`).toBe('number');
    }
    // ACS end to end: every adapter timed, every request a distinct valid login (none refused).
    for (const adapter of ADAPTERS) {
      const a = r.acs_e2e[adapter];
      expect(a?.status, `${adapter}: ${a?.reason}`).toBe('timed');
      for (const s of ACS_STATS) expect(typeof a[s], `${adapter} ${s}`).toBe('number');
      expect(a.errors, `${adapter} errors ${JSON.stringify(a.error_kinds)}`).toBe(0);
      expect(a.requests).toBeGreaterThan(0);
      expect(a.connections).toBeGreaterThan(0);
      expect(a.server_logged).toEqual({});
      expect(a.checks.accepts_valid).toBe(true);
      expect(a.checks.finish_step).toBe(true);
      expect(a.checks.finish_after_run).toBe(true);
      expect(a.checks.replay_refused_with).toMatch(/^403 [A-Z_]+$/);
      expect(a.checks.tampered_refused_with).toMatch(/^403 SIGNATURE_/);
    }
    expect(Object.keys(r.not_run).filter((k) => k.startsWith('ACS'))).toEqual([]);
    // Hostile inputs (tiny in a smoke run): the valid baseline accepted, every shape refused with a
    // documented code of the expected kind, every field present. Timings and goalMet are not judged.
    const hostile = r.hostile;
    expect(hostile, JSON.stringify(r.not_run)).toBeDefined();
    expect(hostile.valid.status).toBe('measured');
    expect(hostile.valid.accepted).toBe(true);
    expect(hostile.valid.runs).toBeGreaterThan(0);
    expect(Object.keys(hostile.shapes).sort()).toEqual(Object.keys(HOSTILE_CODES).sort());
    for (const [shape, expected] of Object.entries(HOSTILE_CODES)) {
      const s = hostile.shapes[shape];
      for (const field of HOSTILE_FIELDS) expect(s, `${shape}.${field}`).toHaveProperty(field);
      expect(s.status, shape).toBe('measured');
      expect(s.accepted, shape).toBe(false);
      expect(s.timedOut, shape).toBe(false);
      expect(SAML_ERROR_CODES, shape).toContain(s.refusedCode);
      expect(s.refusedCode, shape).toMatch(expected);
      expect(typeof s.goalMet).toBe('boolean');
    }
    // The oversize input is over the default limit; every other document is at most that limit.
    expect(hostile.shapes.oversize.bytes).toBeGreaterThan(hostile.maxSize);
    for (const [shape, s] of Object.entries(hostile.shapes) as [string, { bytes: number }][]) {
      if (shape !== 'oversize') expect(s.bytes, shape).toBeLessThanOrEqual(hostile.maxSize);
    }
    expect(Array.isArray(r.targets.checks)).toBe(true);
    expect(r.targets.checks.length).toBeGreaterThan(0);
    if (r.xmlsec1.available) {
      for (const c of r.xmlsec1.checked) {
        expect(c.valid_verified).toBe(true);
        expect(c.tampered_refused).toBe(true);
      }
    }
  });
});
