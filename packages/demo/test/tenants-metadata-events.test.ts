// The demo's tenant mode logs the events of its tenants' metadata sources the way the single-IdP
// demo does: one `samlkit metadata: <type> url=…` line per event.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IdpServer, startIdpServer } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../../test/support/demo-process.js';
// @ts-expect-error: the demo is plain JavaScript without declarations
import { startDemo } from '../app.mjs';

interface Demo {
  readonly url: string;
  stop(): Promise<void>;
}

describe('the demo with tenants logs metadata events', () => {
  let idp: IdpServer;
  let demo: Demo;
  let dir: string;
  const lines: string[] = [];

  beforeAll(async () => {
    idp = await startIdpServer({ entityId: 'https://idp.tenant-metadata.test' });
    dir = mkdtempSync(join(tmpdir(), 'samlkit-demo-tenant-events-'));
    const file = join(dir, 'tenants.json');
    writeFileSync(file, JSON.stringify([{ id: 'acme', idpMetadataUrl: `${idp.url}/metadata` }]));
    // Capture what the demo prints (and still print it).
    for (const level of ['log', 'warn'] as const) {
      const original = console[level].bind(console);
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(' '));
        original(...args);
      });
    }
    demo = (await startDemo({
      PORT: String(await freePort()),
      HOST: 'localhost',
      SAML_TENANTS_FILE: file,
    })) as Demo;
  });
  afterAll(async () => {
    await demo?.stop();
    await idp?.stop();
    vi.restoreAllMocks();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints one metadata-updated line when a tenant’s IdP metadata is first loaded', async () => {
    const home = await fetch(`${demo.url}/t/acme/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('https://idp.tenant-metadata.test');
    const events = lines.filter((l) => l.startsWith('samlkit metadata: '));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(
      new RegExp(
        `^samlkit metadata: metadata-updated url=${idp.url}/metadata entity=https://idp\\.tenant-metadata\\.test from=fetch reason=initial `,
      ),
    );
  });
});
