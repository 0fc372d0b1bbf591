import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSamlError, loadPublicKey, parseIdpMetadata } from '@samlkit/core';
import type { TestKeys } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../../core/src/lib/c14n.js';
import { NS, parseXml } from '../../core/src/lib/xml.js';
import { AGGREGATE_NOW, buildTestAggregate } from '../../core/test/support/aggregate-setup.js';
import { xmlsec1Available } from '../../core/test/support/xmlsec1.js';
import { AGGREGATE_CATEGORIES, type BuiltAggregate } from '../src/aggregate.js';

// The synthetic federation aggregate: signed so that samlkit and an independent implementation
// (xmlsec1) verify it, and written in its exclusive canonical form (what lets the generator sign
// eduGAIN-sized documents without a DOM).

const haveXmlsec1 = xmlsec1Available('the aggregate generator cross-check');
const NOW = AGGREGATE_NOW;
let fed: TestKeys;
let other: TestKeys;
let aggregate: BuiltAggregate;
let dir: string;

beforeAll(async () => {
  ({ fed, other, aggregate } = await buildTestAggregate(60));
  dir = mkdtempSync(join(tmpdir(), 'samlkit-aggregate-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('buildAggregate', () => {
  it('writes the root in its exclusive canonical form (the Signature aside)', () => {
    const doc = parseXml(aggregate.xml, { maxSize: 4 * 1024 * 1024 });
    const root = doc.documentElement;
    let signature: Element | undefined;
    for (let c = root.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 1 && (c as Element).localName === 'Signature') signature = c as Element;
    }
    expect(signature?.namespaceURI).toBe(NS.ds);
    const canonical = canonicalize(root, { exclusive: true, exclude: signature! });
    const text = aggregate.xml.slice(aggregate.xml.indexOf('<md:EntitiesDescriptor')).trimEnd();
    const withoutSignature = text.replace(/<ds:Signature [\s\S]*?<\/ds:Signature>/, '');
    expect(canonical).toBe(withoutSignature);
  });

  it('verifies with the pinned federation certificate in samlkit; every IdP can be picked', async () => {
    const idps = aggregate.entities.filter((e) => e.role === 'idp');
    expect(idps.length).toBe(20);
    expect(aggregate.entities.length).toBe(60);
    for (const e of [idps[0]!, idps[idps.length - 1]!]) {
      const md = await parseIdpMetadata(aggregate.xml, {
        entityId: e.entityId,
        now: NOW,
        verify: { keys: [loadPublicKey(fed.certificatePem)] },
      });
      expect(md.signatureVerified).toBe(true);
      expect(md.entityId).toBe(e.entityId);
      expect(md.singleSignOnServices).toContainEqual({
        binding: 'redirect',
        location: e.ssoRedirect,
      });
      expect(md.signingKeys.length).toBe(1);
    }
    expect(idps.filter((e) => e.hidden).length).toBe(1);
    expect(idps[19]!.categories).toContain(AGGREGATE_CATEGORIES.hideFromDiscovery);
  });

  it('is refused with another key, and when an entity was changed', async () => {
    const verify = async (xml: string, pem: string) => {
      try {
        await parseIdpMetadata(xml, {
          entityId: aggregate.entities[0]!.entityId,
          now: NOW,
          verify: { keys: [loadPublicKey(pem)] },
        });
        return 'verified';
      } catch (e) {
        if (!isSamlError(e)) throw e;
        return e.details.signatureCode;
      }
    };
    expect(await verify(aggregate.xml, other.certificatePem)).toBe('SIGNATURE_INVALID');
    const tampered = aggregate.xml.replace('idp.inst3.example.org', 'idp.evil.example.org');
    expect(tampered).not.toBe(aggregate.xml);
    expect(await verify(tampered, fed.certificatePem)).toBe('SIGNATURE_DIGEST_MISMATCH');
  });

  it.skipIf(!haveXmlsec1)('verifies in xmlsec1 with the pinned certificate', () => {
    writeFileSync(join(dir, 'fed.pem'), fed.certificatePem);
    writeFileSync(join(dir, 'other.pem'), other.certificatePem);
    writeFileSync(join(dir, 'agg.xml'), aggregate.xml);
    const run = (cert: string) =>
      spawnSync(
        'xmlsec1',
        [
          '--verify',
          '--pubkey-cert-pem',
          cert,
          '--id-attr:ID',
          'urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor',
          'agg.xml',
        ],
        { cwd: dir, encoding: 'utf8' },
      );
    const ok = run('fed.pem');
    expect(ok.stderr).toContain('OK');
    expect(ok.status).toBe(0);
    expect(run('other.pem').status).not.toBe(0);
  });
});
