import { isSamlError, loadPublicKey, parseIdpMetadata, signXml } from '@samlkit/core';
import type { TestKeys } from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AGGREGATE_AUTHORITIES,
  AGGREGATE_CATEGORIES,
  type BuiltAggregate,
  buildAggregate,
} from '../../../testkit/src/aggregate.js';
import { HIDE_FROM_DISCOVERY, loadAggregate } from '../../src/metadata/aggregate.js';
import { AGGREGATE_NOW, buildTestAggregate } from '../support/aggregate-setup.js';

// The streaming aggregate loader: verifies the federation signature without a DOM of the whole
// document, indexes every entity, and parses an IdP from its own bytes on lookup.

const NOW = AGGREGATE_NOW;
let fed: TestKeys;
let other: TestKeys;
let aggregate: BuiltAggregate;

beforeAll(async () => {
  ({ fed, other, aggregate } = await buildTestAggregate(45));
});

const keys = () => [loadPublicKey(fed.certificatePem)];

async function failure(xml: string, pem = fed.certificatePem, now = NOW): Promise<string> {
  try {
    await loadAggregate(xml, { keys: [loadPublicKey(pem)], now });
    return 'loaded';
  } catch (e) {
    if (!isSamlError(e)) throw e;
    return e.code === 'METADATA_INVALID' && e.details.signatureCode
      ? `METADATA_INVALID/${e.details.signatureCode}`
      : e.code;
  }
}

describe('loadAggregate', () => {
  it('verifies and indexes every entity with what the generator put in', async () => {
    const agg = await loadAggregate(aggregate.xml, { keys: keys(), now: NOW });
    expect(agg.counts).toEqual({ entities: 45, idps: 15, sps: 30 });
    expect(agg.name).toBe('https://fed.example.org/metadata');
    expect(agg.validUntil).toBe(aggregate.validUntil);
    const listed = agg.entities();
    expect(listed.map((e) => e.entityId)).toEqual(aggregate.entities.map((e) => e.entityId));
    for (const [i, g] of aggregate.entities.entries()) {
      const s = listed[i]!;
      expect(s.idp).toBe(g.role === 'idp');
      expect(s.sp).toBe(g.role === 'sp');
      expect(s.registrationAuthority).toBe(g.registrationAuthority);
      expect(s.entityCategories).toEqual(g.categories);
      expect(s.hiddenFromDiscovery).toBe(g.hidden);
    }
    expect(
      listed.some((s) => s.assuranceCertifications.includes(AGGREGATE_CATEGORIES.sirtfi)),
    ).toBe(true);
  });

  it('refuses an entity the signature does not cover: inside ds:Signature, or anywhere but an EntitiesDescriptor', async () => {
    // The enveloped-signature transform leaves the Signature out of the digest (XML-DSig §6.6.4),
    // so an EntityDescriptor put in its ds:Object would be trusted although nothing signed it.
    const idp = aggregate.entities.find((e) => e.role === 'idp')!;
    const start = aggregate.xml.indexOf(`<md:EntityDescriptor entityID="${idp.entityId}"`);
    const end =
      aggregate.xml.indexOf('</md:EntityDescriptor>', start) + '</md:EntityDescriptor>'.length;
    expect(start).toBeGreaterThan(0);
    const forged = aggregate.xml
      .slice(start, end)
      .replaceAll(idp.entityId, 'https://evil.example/idp');
    const afterValue =
      aggregate.xml.indexOf('</ds:SignatureValue>') + '</ds:SignatureValue>'.length;
    expect(afterValue).toBeGreaterThan(20);
    const inObject = `${aggregate.xml.slice(0, afterValue)}<ds:Object>${forged}</ds:Object>${aggregate.xml.slice(afterValue)}`;
    expect(await failure(inObject)).toBe('METADATA_INVALID');
    // Directly in the Signature, and as a copy of a real IdP (which would make it a duplicate).
    const original = aggregate.xml.slice(start, end);
    const inSignature = `${aggregate.xml.slice(0, afterValue)}${original}${aggregate.xml.slice(afterValue)}`;
    expect(await failure(inSignature)).toBe('METADATA_INVALID');
    // Inside another entity (signed, but not an entity of the aggregate).
    const nested = aggregate.xml.replace(
      '</md:EntityDescriptor>',
      `<md:Extensions>${forged}</md:Extensions></md:EntityDescriptor>`,
    );
    expect(await failure(nested)).toBe('METADATA_INVALID');
    try {
      await loadAggregate(inObject, { keys: keys(), now: NOW });
    } catch (e) {
      expect(isSamlError(e) && e.details.found).toContain('(within the signature)');
    }
  });

  it('verifies an aggregate whose root start tag holds a ">" in an attribute value', async () => {
    // XML 1.0 §3.1: '>' may appear literally in an attribute value; the Signature is checked in
    // a copy of the root's start tag, which must end at the tag's own '>'.
    const built = await buildAggregate({
      entities: 3,
      signingKey: fed,
      certificates: [fed.certificatePem],
      now: NOW,
      name: 'urn:example:fed>metadata',
    });
    expect(built.xml).toContain('Name="urn:example:fed>metadata"');
    const agg = await loadAggregate(built.xml, { keys: keys(), now: NOW });
    expect(agg.name).toBe('urn:example:fed>metadata');
    expect(agg.counts.entities).toBe(3);
  });

  it('looks an IdP up from its own bytes: the same metadata as the DOM parser reads', async () => {
    const agg = await loadAggregate(aggregate.xml, { keys: keys(), now: NOW });
    for (const g of aggregate.entities.filter((e) => e.role === 'idp').slice(0, 3)) {
      const lazy = await agg.idp(g.entityId, { now: NOW });
      const dom = await parseIdpMetadata(aggregate.xml, {
        entityId: g.entityId,
        now: NOW,
        verify: { keys: keys() },
      });
      expect(lazy).toEqual(dom);
      expect(await agg.idp(g.entityId, { now: NOW })).toBe(lazy); // cached
    }
    const sp = aggregate.entities.find((e) => e.role === 'sp')!;
    await expect(agg.idp(sp.entityId, { now: NOW })).rejects.toMatchObject({
      code: 'METADATA_ENTITY_NOT_FOUND',
    });
    await expect(agg.idp('https://nobody.example/', { now: NOW })).rejects.toMatchObject({
      code: 'METADATA_ENTITY_NOT_FOUND',
    });
    // SAML metadata §2.3.1: past the aggregate's validUntil no entity of it is used.
    const idp = aggregate.entities[0]!;
    await expect(agg.idp(idp.entityId, { now: aggregate.validUntil + 1 })).rejects.toMatchObject({
      code: 'METADATA_EXPIRED',
    });
  });

  it('trust rules: all, registration authority, entity category, allow and deny', async () => {
    const agg = await loadAggregate(aggregate.xml, { keys: keys(), now: NOW });
    const idps = aggregate.entities.filter((e) => e.role === 'idp');
    const admitted = (trust: Parameters<typeof agg.isTrusted>[1]) =>
      idps.filter((e) => agg.isTrusted(e.entityId, trust)).map((e) => e.entityId);
    expect(admitted({})).toEqual(idps.map((e) => e.entityId));
    const ra = AGGREGATE_AUTHORITIES[0]!;
    expect(admitted({ registrationAuthorities: [ra] })).toEqual(
      idps.filter((e) => e.registrationAuthority === ra).map((e) => e.entityId),
    );
    const rs = AGGREGATE_CATEGORIES.researchAndScholarship;
    const withRs = idps.filter((e) => e.categories.includes(rs)).map((e) => e.entityId);
    expect(withRs.length).toBeGreaterThan(0);
    expect(admitted({ entityCategories: [rs] })).toEqual(withRs);
    const [a, b] = [idps[1]!.entityId, idps[2]!.entityId];
    expect(admitted({ allow: [a, b], deny: [b] })).toEqual([a]);
    await expect(agg.idp(b, { now: NOW, trust: { deny: [b] } })).rejects.toMatchObject({
      code: 'METADATA_ENTITY_NOT_FOUND',
    });
    expect((await agg.idp(a, { now: NOW, trust: { allow: [a] } })).entityId).toBe(a);
    // hidden from discovery is reported, not a trust decision
    const hidden = agg.entities().filter((s) => s.hiddenFromDiscovery);
    expect(hidden.length).toBe(idps.filter((e) => e.hidden).length);
    expect(hidden.every((s) => s.entityCategories.includes(HIDE_FROM_DISCOVERY))).toBe(true);
  });

  it('refuses another key, a changed entity, an unsigned and an expired aggregate', async () => {
    expect(await failure(aggregate.xml, other.certificatePem)).toBe(
      'METADATA_INVALID/SIGNATURE_INVALID',
    );
    const tampered = aggregate.xml.replace('idp.inst3.example.org', 'idp.evil.example.org');
    expect(tampered).not.toBe(aggregate.xml);
    expect(await failure(tampered)).toBe('METADATA_INVALID/SIGNATURE_DIGEST_MISMATCH');
    // Authenticate first: changed and signed by another key is SIGNATURE_INVALID.
    expect(await failure(tampered, other.certificatePem)).toBe(
      'METADATA_INVALID/SIGNATURE_INVALID',
    );
    const unsigned = aggregate.xml.replace(/<ds:Signature [\s\S]*?<\/ds:Signature>/, '');
    expect(await failure(unsigned)).toBe('METADATA_INVALID/SIGNATURE_MISSING');
    expect(await failure(aggregate.xml, fed.certificatePem, aggregate.validUntil)).toBe(
      'METADATA_EXPIRED',
    );
    // A second element carrying the signed ID (signature wrapping).
    const wrapped = aggregate.xml.replace(
      '<md:EntityDescriptor ',
      `<md:EntityDescriptor ID="${aggregate.id}" `,
    );
    expect(await failure(wrapped)).toBe('METADATA_INVALID/SIGNATURE_DUPLICATE_ID');
  });

  it('verifies an aggregate in another serialization, signed by the DOM signer', async () => {
    // Not canonical: declarations all on the root, empty-element tags, other attribute order
    // and quoting, references, a comment. signXml canonicalizes the DOM; the loader the text.
    const small = await buildAggregate({
      entities: 6,
      signingKey: fed,
      certificates: [fed.certificatePem],
      now: NOW,
    });
    let xml = small.xml.replace(/<ds:Signature [\s\S]*?<\/ds:Signature>/, '');
    xml = xml
      .replace(/ xmlns:(mdui|mdrpi|mdattr|saml|shibmd|ds)="[^"]*"/g, '')
      .replace(
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"',
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui" xmlns:mdrpi="urn:oasis:names:tc:SAML:metadata:rpi" xmlns:mdattr="urn:oasis:names:tc:SAML:metadata:attribute" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"',
      )
      .replace(/<(md:\w+Service)( [^>]*)><\/\1>/g, '<$1$2 />')
      .replace(
        /<md:ContactPerson contactType="support">/g,
        "<md:ContactPerson contactType='support'><!-- desk -->",
      )
      .replace(
        /registrationAuthority="([^"]*)" registrationInstant="([^"]*)"/g,
        'registrationInstant="$2"\n  registrationAuthority="$1"',
      );
    // The serializer writes characters literally: the references go in after signing, as the
    // same characters written another way (XML 1.0 §4.1), so the signature still holds.
    const signed = (await signXml(xml, { key: fed.privateKey })).replace(
      /University/g,
      'Univ&#101;rsity',
    );
    expect(signed).toContain('Univ&#101;rsity');
    expect(signed).toContain('<!-- desk -->');
    expect(signed).toMatch(/<md:SingleLogoutService [^>]*\/>/);
    const agg = await loadAggregate(signed, { keys: keys(), now: NOW });
    expect(agg.counts.entities).toBe(6);
    const idp = small.entities[0]!;
    expect((await agg.idp(idp.entityId, { now: NOW })).entityId).toBe(idp.entityId);
    expect(agg.summary(idp.entityId)?.registrationAuthority).toBe(idp.registrationAuthority);
    const changed = signed.replace('Univ&#101;rsity', 'Univ&#101;rsitz');
    expect(changed).not.toBe(signed);
    expect(await failure(changed)).toBe('METADATA_INVALID/SIGNATURE_DIGEST_MISMATCH');
  });
});
