import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, nodeIo } from '@samlkit/cli';
import {
  createSelfSignedCertificate,
  loadPrivateKey,
  loadPublicKey,
  parsePem,
} from '@samlkit/core';
import { verifyElementSignature } from '@samlkit/core/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itWithFixtures, sharedFixtures } from '../../../test/support/fixtures.js';
import { toBase64 } from '../../core/src/lib/bytes.js';
import { childElements, NS, parseXml } from '../../core/src/lib/xml.js';
import { run } from './helpers.js';

const NOW = new Date('2026-11-23T18:00:00Z');

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs main() against the real file system, capturing stdout/stderr. */
async function runReal(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    ...nodeIo,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    now: () => NOW,
  });
  return { code, stdout, stderr };
}

describe('samlkit keys', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'samlkit-keys-'));
    dirs.push(d);
    return d;
  };

  it.each([
    ['rsa2048', 'RSA', 2048],
    ['rsa3072', 'RSA', 3072],
    ['p256', 'EC', 256],
  ] as const)('--alg %s writes a key and a matching certificate', async (alg, keyType, bits) => {
    const dir = tmp();
    const r = await runReal([
      'keys',
      '--out',
      dir,
      '--cn',
      'sp.example.com',
      '--days',
      '400',
      '--alg',
      alg,
    ]);
    expect(r.code).toBe(0);
    const keyPem = readFileSync(join(dir, 'sp-key.pem'), 'utf8');
    const certPem = readFileSync(join(dir, 'sp-cert.pem'), 'utf8');
    expect(statSync(join(dir, 'sp-key.pem')).mode & 0o777).toBe(0o600);
    const key = loadPrivateKey(keyPem);
    const cert = loadPublicKey(certPem);
    expect(key.keyType).toBe(keyType);
    expect(cert.certificate!.subject).toBe('CN=sp.example.com');
    expect(cert.certificate!.notAfter.getTime() - cert.certificate!.notBefore.getTime()).toBe(
      400 * 86_400_000,
    );
    expect(r.stdout).toContain('SHA-256');
    if (hasOpenssl()) {
      const text = execFileSync(
        'openssl',
        ['x509', '-noout', '-text', '-in', join(dir, 'sp-cert.pem')],
        {
          encoding: 'utf8',
        },
      );
      expect(text).toContain('Subject: CN = sp.example.com');
      expect(text).toContain(`${bits} bit`);
      // The private key belongs to the certificate: same public key.
      const fromKey = execFileSync('openssl', ['pkey', '-in', join(dir, 'sp-key.pem'), '-pubout'], {
        encoding: 'utf8',
      });
      const fromCert = execFileSync(
        'openssl',
        ['x509', '-in', join(dir, 'sp-cert.pem'), '-noout', '-pubkey'],
        {
          encoding: 'utf8',
        },
      );
      expect(fromKey).toBe(fromCert);
    } else {
      console.warn('openssl not found: the openssl cross-check of `samlkit keys` is skipped');
    }
  });

  it('never overwrites a key without --force', async () => {
    const dir = tmp();
    expect((await runReal(['keys', '--out', dir, '--alg', 'p256'])).code).toBe(0);
    const before = readFileSync(join(dir, 'sp-key.pem'), 'utf8');
    const again = await runReal(['keys', '--out', dir, '--alg', 'p256']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).code).toBe('FILE_EXISTS');
    expect(readFileSync(join(dir, 'sp-key.pem'), 'utf8')).toBe(before);
    expect((await runReal(['keys', '--out', dir, '--alg', 'p256', '--force'])).code).toBe(0);
    expect(readFileSync(join(dir, 'sp-key.pem'), 'utf8')).not.toBe(before);
  });

  it('refuses bad options with exit 2', async () => {
    expect((await run(['keys', '--alg', 'dsa'])).code).toBe(2);
    expect((await run(['keys', '--days', '-3'])).code).toBe(2);
    expect((await run(['keys', '--days', 'ten'])).code).toBe(2);
  });
});

describe('samlkit metadata', () => {
  let files: Record<string, string>;
  beforeAll(async () => {
    const [cur, next] = await Promise.all([
      createSelfSignedCertificate({ subject: 'sp-current', days: 365, alg: 'p256' }),
      createSelfSignedCertificate({ subject: 'sp-next', days: 730, alg: 'p256' }),
    ]);
    files = {
      '/etc/app/sp-cert.pem': cur.certificatePem,
      '/etc/app/sp-key.pem': cur.privateKeyPem,
      '/etc/app/keys/next-cert.pem': next.certificatePem,
      '/etc/app/keys/next-key.pem': next.privateKeyPem,
    };
  });

  it('prints metadata from the minimal configuration', async () => {
    files['/etc/app/samlkit.json'] = JSON.stringify({
      entityId: 'https://app.example.com/saml/metadata',
      acs: 'https://app.example.com/saml/acs',
      slo: 'https://app.example.com/saml/slo',
      cert: 'sp-cert.pem',
      key: 'sp-key.pem',
    });
    const r = await run(['metadata', '/etc/app/samlkit.json'], { files });
    expect(r.code).toBe(0);
    const root = parseXml(r.stdout.trim()).documentElement;
    expect(root.getAttribute('entityID')).toBe('https://app.example.com/saml/metadata');
    const d = childElements(root, NS.md, 'SPSSODescriptor')[0]!;
    expect(childElements(d, NS.md, 'KeyDescriptor').map((k) => k.getAttribute('use'))).toEqual([
      'signing',
      'encryption',
    ]);
    expect(
      childElements(d, NS.md, 'SingleLogoutService').map((e) => e.getAttribute('Binding')),
    ).toEqual([
      'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
      'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
    ]);
    expect(d.getAttribute('AuthnRequestsSigned')).toBe('true');
  });

  it('announces the next key and signs with the active one', async () => {
    files['/etc/app/rollover.json'] = JSON.stringify({
      entityId: 'https://app.example.com/saml/metadata',
      acs: [
        { url: 'https://app.example.com/saml/acs', default: true },
        { url: 'https://app.example.com/saml/acs-redirect', binding: 'redirect', index: 5 },
      ],
      signing: [
        { cert: 'sp-cert.pem', key: 'sp-key.pem', active: true },
        { cert: 'keys/next-cert.pem', key: 'keys/next-key.pem' },
      ],
      encryption: [{ cert: 'keys/next-cert.pem', key: 'keys/next-key.pem' }],
      validDays: 7,
      cacheDuration: 'PT6H',
      signMetadata: true,
      organization: { name: 'Example', url: 'https://example.com' },
      contacts: [{ type: 'technical', email: 'ops@example.com' }],
    });
    const r = await run(['metadata', '--config', '/etc/app/rollover.json'], { files });
    expect(r.code).toBe(0);
    const root = parseXml(r.stdout.trim()).documentElement;
    expect(root.getAttribute('validUntil')).toBe('2026-11-30T18:00:00.000Z');
    const v = await verifyElementSignature(root, {
      keys: [loadPublicKey(files['/etc/app/sp-cert.pem']!)],
    });
    expect(v).not.toBeNull();
    const d = childElements(root, NS.md, 'SPSSODescriptor')[0]!;
    const certs = childElements(d, NS.md, 'KeyDescriptor').map(
      (k) => k.getElementsByTagNameNS(NS.ds, 'X509Certificate')[0]!.textContent,
    );
    const b64 = (pem: string) => toBase64(parsePem(pem)[0]!.der);
    expect(certs).toEqual([
      b64(files['/etc/app/sp-cert.pem']!),
      b64(files['/etc/app/keys/next-cert.pem']!),
      b64(files['/etc/app/keys/next-cert.pem']!),
    ]);
    const acs = childElements(d, NS.md, 'AssertionConsumerService');
    expect(acs.map((a) => [a.getAttribute('index'), a.getAttribute('isDefault')])).toEqual([
      ['0', 'true'],
      ['5', null],
    ]);
  });

  it('explains a broken configuration with exit 1 and CONFIG_INVALID', async () => {
    files['/etc/app/broken.json'] = '{ "entityId": "x", ';
    const a = await run(['metadata', '/etc/app/broken.json'], { files });
    expect(a.code).toBe(1);
    expect(JSON.parse(a.stdout).code).toBe('CONFIG_INVALID');
    files['/etc/app/missing.json'] = JSON.stringify({
      entityId: 'https://a.example',
      acs: 'https://a.example/acs',
      cert: 'nope.pem',
      key: 'sp-key.pem',
    });
    const b = await run(['metadata', '/etc/app/missing.json'], { files });
    expect(JSON.parse(b.stdout)).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((await run(['metadata'], { files })).code).toBe(2);
  });

  it('refuses an unknown key with the closest known one (entityID → entityId)', async () => {
    files['/etc/app/typo.json'] = JSON.stringify({
      entityID: 'https://a.example',
      acs: 'https://a.example/acs',
    });
    const r = await run(['metadata', '/etc/app/typo.json'], { files });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { code: string; message: string };
    expect(out.code).toBe('CONFIG_INVALID');
    expect(out.message).toContain('unknown key "entityID" (did you mean "entityId"?)');
    files['/etc/app/nested.json'] = JSON.stringify({
      entityId: 'https://a.example',
      acs: [{ url: 'https://a.example/acs', bindng: 'post' }],
    });
    const nested = JSON.parse((await run(['metadata', '/etc/app/nested.json'], { files })).stdout);
    expect(nested.message).toContain('"bindng" in acs (did you mean "binding"?)');
  });

  it('takes the federation settings: UIInfo, requested attributes, entity attributes, security contact', async () => {
    files['/etc/app/federation.json'] = JSON.stringify({
      entityId: 'https://app.example.edu/shibboleth',
      acs: 'https://app.example.edu/saml/acs',
      cert: 'sp-cert.pem',
      key: 'sp-key.pem',
      signMetadata: true,
      uiInfo: {
        displayName: { en: 'Research Portal', de: 'Forschungsportal' },
        informationUrl: 'https://app.example.edu/about',
        privacyStatementUrl: 'https://app.example.edu/privacy',
        logos: [{ url: 'https://app.example.edu/logo.png', width: 80, height: 60 }],
      },
      requestedAttributes: [
        {
          name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6',
          friendlyName: 'eduPersonPrincipalName',
          isRequired: true,
        },
      ],
      entityAttributes: {
        entityCategories: ['http://refeds.org/category/research-and-scholarship'],
        assuranceCertifications: ['https://refeds.org/sirtfi'],
      },
      discoveryResponse: 'https://app.example.edu/saml/login',
      contacts: [{ type: 'security', givenName: 'CSIRT', email: 'csirt@example.edu' }],
    });
    const r = await run(['metadata', '/etc/app/federation.json'], { files });
    expect(r.code, r.stdout).toBe(0);
    const root = parseXml(r.stdout.trim()).documentElement;
    expect(
      await verifyElementSignature(root, { keys: [loadPublicKey(files['/etc/app/sp-cert.pem']!)] }),
    ).not.toBeNull();
    const d = childElements(root, NS.md, 'SPSSODescriptor')[0]!;
    const ext = childElements(d, NS.md, 'Extensions')[0]!;
    expect(childElements(ext).map((e) => e.localName)).toEqual(['UIInfo', 'DiscoveryResponse']);
    const req = childElements(
      childElements(d, NS.md, 'AttributeConsumingService')[0]!,
      NS.md,
      'RequestedAttribute',
    );
    expect(req.map((e) => [e.getAttribute('FriendlyName'), e.getAttribute('isRequired')])).toEqual([
      ['eduPersonPrincipalName', 'true'],
    ]);
    const values = [...root.getElementsByTagNameNS(NS.saml, 'AttributeValue')].map(
      (v) => v.textContent,
    );
    expect(values).toEqual([
      'http://refeds.org/category/research-and-scholarship',
      'https://refeds.org/sirtfi',
    ]);
    const contact = childElements(root, NS.md, 'ContactPerson')[0]!;
    expect(contact.getAttributeNS('http://refeds.org/metadata', 'contactType')).toBe(
      'http://refeds.org/metadata/contactType/security',
    );

    // A misspelt key inside the new sections is refused, not ignored.
    files['/etc/app/fed-typo.json'] = JSON.stringify({
      entityId: 'https://a.example',
      acs: 'https://a.example/acs',
      requestedAttributes: [{ name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', required: true }],
    });
    const typo = JSON.parse((await run(['metadata', '/etc/app/fed-typo.json'], { files })).stdout);
    expect(typo.message).toContain(
      '"required" in requestedAttributes (did you mean "isRequired"?)',
    );
    files['/etc/app/fed-shape.json'] = JSON.stringify({
      entityId: 'https://a.example',
      acs: 'https://a.example/acs',
      uiInfo: 'Research Portal',
    });
    const shape = await run(['metadata', '/etc/app/fed-shape.json'], { files });
    expect(JSON.parse(shape.stdout).code).toBe('CONFIG_INVALID');
  });
});

describe('samlkit idp-metadata', () => {
  const fx = sharedFixtures('interop', [
    'metadata/shibboleth-1.xml',
    'metadata/entra-id-2.xml',
    'certs/entra-id-2b0182d8762d.pem',
  ]);

  let server: Server;
  let base: string;
  let body = '';
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  itWithFixtures(fx, 'summarises a file: endpoints, certificates, fingerprints', async () => {
    const path = fx.path('metadata/shibboleth-1.xml');
    const r = await runReal(['idp-metadata', path, '--now', '2026-11-23T00:00:00Z']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Entity ID                 https://samltest.id/saml/idp');
    expect(r.stdout).toContain(
      'HTTP-Redirect         https://samltest.id/idp/profile/SAML2/Redirect/SSO',
    );
    expect(r.stdout).toContain('Signing certificates (2):');
    expect(r.stdout).toMatch(/SHA-256 E5:E0:E6:57:8A:27/);
    // The scopes the IdP may assert (what scoped-attribute refusals point to).
    expect(r.stdout).toContain('Scopes (shibmd:Scope):\n  samltest.id\n');
    const json = await runReal(['idp-metadata', path, '--now', '2026-11-23T00:00:00Z', '--json']);
    expect(JSON.parse(json.stdout).scopes).toEqual([{ value: 'samltest.id', regexp: false }]);
  });

  itWithFixtures(fx, 'verifies a signed document against a pinned certificate', async () => {
    const md = fx.path('metadata/entra-id-2.xml');
    const pin = fx.path('certs/entra-id-2b0182d8762d.pem');
    const r = await runReal(['idp-metadata', md, '--pin-cert', pin, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.signatureVerified).toBe(true);
    expect(s.signingCertificates).toHaveLength(2);
  });

  it('fetches a URL and warns about a certificate that expires soon', async () => {
    const soon = await createSelfSignedCertificate({
      subject: 'idp-expiring',
      days: 13,
      alg: 'p256',
      now: new Date(NOW.getTime() - 86_400_000),
    });
    const b64 = toBase64(parsePem(soon.certificatePem)[0]!.der);
    body = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/x"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${b64}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/></IDPSSODescriptor></EntityDescriptor>`;
    const r = await runReal(['idp-metadata', `${base}/metadata`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'certificate CN=idp-expiring of https://idp.example/x expires in 12 days',
    );
    expect(r.stdout).toContain('(expires in 12 days)');
  });

  it('reports expired or unusable metadata with exit 1', async () => {
    body = '<html><body>login</body></html>';
    const r = await runReal(['idp-metadata', `${base}/metadata`]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).code).toBe('METADATA_INVALID');
    expect((await run(['idp-metadata'])).code).toBe(2);
  });
});
