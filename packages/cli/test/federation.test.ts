import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { main } from '@samlkit/cli';
import { generateTestKeys, type TestKeys } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltAggregate, buildAggregate } from '../../testkit/src/aggregate.js';
import { run } from './helpers.js';

// `samlkit federation`: loads and verifies a testkit-built aggregate with the pinned certificate
// and summarises it; with --entity-id shows one IdP as `idp-metadata` does.

const NOW = Date.UTC(2026, 10, 20);
let fed: TestKeys;
let other: TestKeys;
let agg: BuiltAggregate;
let files: Record<string, string>;

beforeAll(async () => {
  [fed, other] = await Promise.all([
    generateTestKeys({ subject: 'cli federation' }),
    generateTestKeys({ subject: 'someone else' }),
  ]);
  agg = await buildAggregate({
    entities: 24,
    hiddenEvery: 4,
    signingKey: fed,
    certificates: [fed.certificatePem],
    now: NOW,
  });
  files = { 'agg.xml': agg.xml, 'fed.pem': fed.certificatePem, 'other.pem': other.certificatePem };
});

const at = new Date(NOW + 3600_000);

describe('samlkit federation', () => {
  it('summarises a verified aggregate as JSON', async () => {
    const r = await run(['federation', 'agg.xml', '--pin-cert', 'fed.pem', '--json'], {
      files,
      now: at,
    });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    const idps = agg.entities.filter((e) => e.role === 'idp');
    expect(s).toMatchObject({
      name: 'https://fed.example.org/metadata',
      publisher: 'https://fed.example.org/metadata',
      validUntil: new Date(agg.validUntil).toISOString(),
      signatureVerified: true,
      entities: 24,
      idps: idps.length,
      sps: 24 - idps.length,
      hiddenFromDiscovery: idps.filter((e) => e.hidden).length,
      characters: agg.xml.length,
    });
    expect(s.hiddenFromDiscovery).toBeGreaterThan(0);
    expect(typeof s.loadMs).toBe('number');
    const byAuthority = new Map<string, number>();
    for (const e of agg.entities)
      byAuthority.set(e.registrationAuthority, (byAuthority.get(e.registrationAuthority) ?? 0) + 1);
    expect(
      Object.fromEntries(
        s.registrationAuthorities.map((a: { authority: string; entities: number }) => [
          a.authority,
          a.entities,
        ]),
      ),
    ).toEqual(Object.fromEntries(byAuthority));
  });

  it('prints a text summary', async () => {
    const r = await run(['federation', 'agg.xml', '--pin-cert', 'fed.pem'], { files, now: at });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Entities\s+24$/m);
    expect(r.stdout).toMatch(/^Load time\s+\d+ ms/m);
    expect(r.stdout).toContain('Registration authorities:');
  });

  it('shows one IdP as idp-metadata does, and refuses an SP with a hint', async () => {
    const idp = agg.entities.find((e) => e.role === 'idp')!;
    const r = await run(
      ['federation', 'agg.xml', '--pin-cert', 'fed.pem', '--entity-id', idp.entityId, '--json'],
      { files, now: at },
    );
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.entityId).toBe(idp.entityId);
    expect(s.signatureVerified).toBe(true);
    expect(s.singleSignOnServices.length).toBeGreaterThan(0);
    const sp = agg.entities.find((e) => e.role === 'sp')!;
    const refused = await run(
      ['federation', 'agg.xml', '--pin-cert', 'fed.pem', '--entity-id', sp.entityId],
      { files, now: at },
    );
    expect(refused.code).toBe(1);
    const f = JSON.parse(refused.stdout);
    expect(f.code).toBe('METADATA_ENTITY_NOT_FOUND');
    expect(f.hint).toContain('without --entity-id');
  });

  it('refuses an aggregate the pinned certificate did not sign, with a hint', async () => {
    const r = await run(['federation', 'agg.xml', '--pin-cert', 'other.pem'], { files, now: at });
    expect(r.code).toBe(1);
    const f = JSON.parse(r.stdout);
    expect(f.code).toBe('METADATA_INVALID');
    expect(f.details.signatureCode).toBe('SIGNATURE_INVALID');
    expect(f.hint).toContain('other.pem');
  });

  it('refuses an aggregate over --max-size and one past its validUntil, with hints', async () => {
    const big = await run(
      ['federation', 'agg.xml', '--pin-cert', 'fed.pem', '--max-size', '1000'],
      {
        files,
        now: at,
      },
    );
    expect(big.code).toBe(1);
    expect(JSON.parse(big.stdout)).toMatchObject({ code: 'XML_TOO_LARGE' });
    expect(JSON.parse(big.stdout).hint).toContain(`--max-size to at least ${agg.xml.length}`);
    const late = await run(['federation', 'agg.xml', '--pin-cert', 'fed.pem'], {
      files,
      now: new Date(agg.validUntil + 1),
    });
    expect(late.code).toBe(1);
    expect(JSON.parse(late.stdout)).toMatchObject({ code: 'METADATA_EXPIRED' });
    expect(JSON.parse(late.stdout).hint).toContain('--now');
  });

  it('exits 2 without --pin-cert, without an input, or with an unreadable file', async () => {
    expect((await run(['federation', 'agg.xml'], { files })).code).toBe(2);
    expect((await run(['federation', '--pin-cert', 'fed.pem'], { files })).code).toBe(2);
    const missing = await run(['federation', 'nope.xml', '--pin-cert', 'fed.pem'], { files });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.xml');
  });

  describe('from a URL', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(agg.xml);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/aggregate.xml`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('downloads, verifies and summarises', async () => {
      let stdout = '';
      const code = await main(['federation', url, '--pin-cert', 'fed.pem', '--json'], {
        stdout: (t) => {
          stdout += t;
        },
        stderr: () => {},
        readStdin: async () => '',
        readFile: async (p) => {
          const f = files[p];
          if (f === undefined) throw new Error(`ENOENT: ${p}`);
          return f;
        },
        writeFile: async () => {},
        fetch: (u, init) => fetch(u, init),
        now: () => at,
      });
      expect(code).toBe(0);
      expect(JSON.parse(stdout).entities).toBe(24);
    });
  });
});
