import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  decodePostBinding,
  decodeRedirect,
  loadPublicKey,
  parseAuthnRequest,
  verifyRedirectSignature,
} from '@samlkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedCertificate } from '../../core/src/crypto/certificate.js';
import { parseXml } from '../../core/src/lib/xml.js';
import { verifyElementSignature } from '../../core/src/signature/verify.js';
import { run } from './helpers.js';

const required = [
  '--idp-sso-url',
  'https://idp.example.org/sso?tenant=7',
  '--sp-entity-id',
  'https://sp.example.com/metadata',
  '--acs',
  'https://sp.example.com/saml/acs',
];
const NOW = new Date('2026-11-23T18:00:00Z');

let keyPem: string;
let certPem: string;
beforeAll(async () => {
  const generated = await createSelfSignedCertificate({
    subject: 'sp.example.com',
    days: 30,
    alg: 'p256',
  });
  keyPem = generated.privateKeyPem;
  certPem = generated.certificatePem;
});

describe('samlkit authn-request', () => {
  it('prints a Redirect URL carrying the request, and the request ID on stderr', async () => {
    const r = await run(
      ['authn-request', ...required, '--force-authn', '--relay-state', 'back/to?x=1'],
      { now: NOW },
    );
    expect(r.code).toBe(0);
    const url = r.stdout.trim();
    expect(url.startsWith('https://idp.example.org/sso?tenant=7&SAMLRequest=')).toBe(true);
    const decoded = await decodeRedirect(url);
    expect(decoded.relayState).toBe('back/to?x=1');
    expect(decoded.sigAlg).toBeUndefined();
    const request = parseAuthnRequest(decoded.xml);
    expect(request).toMatchObject({
      issuer: 'https://sp.example.com/metadata',
      destination: 'https://idp.example.org/sso?tenant=7',
      assertionConsumerServiceUrl: 'https://sp.example.com/saml/acs',
      protocolBinding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
      forceAuthn: true,
      issueInstant: NOW.getTime(),
    });
    expect(r.stderr).toBe(`request ID: ${request.id}\n`);
  });

  it('signs the Redirect query with --sign-key', async () => {
    const r = await run(
      ['authn-request', ...required, '--sign-key', 'key.pem', '--sign-cert', 'cert.pem'],
      {
        files: { 'key.pem': keyPem, 'cert.pem': certPem },
      },
    );
    expect(r.code).toBe(0);
    const decoded = await decodeRedirect(r.stdout.trim());
    expect(decoded.sigAlg).toBe('http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256');
    await verifyRedirectSignature(decoded, { keys: [loadPublicKey(certPem)] });
    expect(decoded.xml).not.toContain('Signature');
  });

  it('prints a POST form with an enveloped XML signature, NameIDPolicy and RequestedAuthnContext', async () => {
    const r = await run(
      [
        'authn-request',
        ...required,
        '--binding',
        'post',
        '--sign-key',
        'key.pem',
        '--sign-cert',
        'cert.pem',
        '--name-id-format',
        'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        '--authn-context',
        'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
        '--authn-context',
        'urn:oasis:names:tc:SAML:2.0:ac:classes:X509',
        '--comparison',
        'minimum',
        '--relay-state',
        'r',
      ],
      { files: { 'key.pem': keyPem, 'cert.pem': certPem } },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<!DOCTYPE html>/);
    expect(r.stdout).toContain('action="https://idp.example.org/sso?tenant=7"');
    expect(r.stdout).toContain('name="RelayState" value="r"');
    const value = /name="SAMLRequest" value="([^"]+)"/.exec(r.stdout)![1]!;
    const xml = decodePostBinding(value);
    const verified = await verifyElementSignature(parseXml(xml).documentElement, {
      keys: [loadPublicKey(certPem)],
    });
    expect(verified).not.toBeNull();
    expect(parseAuthnRequest(xml)).toMatchObject({
      nameIdPolicy: {
        format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        allowCreate: true,
      },
      requestedAuthnContext: {
        comparison: 'minimum',
        classRefs: [
          'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
          'urn:oasis:names:tc:SAML:2.0:ac:classes:X509',
        ],
      },
    });
  });

  it('fails with exit 1 and JSON for a RelayState over 80 bytes', async () => {
    const r = await run(['authn-request', ...required, '--relay-state', 'x'.repeat(81)]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      code: 'RELAY_STATE_INVALID',
      message: expect.any(String),
    });
  });

  it('exits 2 on usage errors', async () => {
    for (const argv of [
      ['authn-request'],
      ['authn-request', ...required.slice(2)],
      ['authn-request', ...required, '--binding', 'artifact'],
      ['authn-request', ...required, '--sign-cert', 'cert.pem'],
      ['authn-request', ...required, '--comparison', 'minimum'],
      ['authn-request', ...required, '--acs', 'relative/path'],
      ['authn-request', ...required, 'extra'],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('run `samlkit authn-request --help` for the options');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

const bin = fileURLToPath(new URL('../dist/main.js', import.meta.url));
describe.skipIf(!existsSync(bin))('the built samlkit binary', () => {
  it('round-trips authn-request | decode through real processes, with the documented exit codes', async () => {
    const exec = promisify(execFile);
    const { stdout: url } = await exec(process.execPath, [bin, 'authn-request', ...required]);
    const { stdout: xml } = await exec(process.execPath, [bin, 'decode', url.trim()]);
    expect(parseAuthnRequest(xml).issuer).toBe('https://sp.example.com/metadata');
    const failed = await exec(process.execPath, [bin, 'decode', 'SAMLRequest=***']).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).code).toBe('BASE64_INVALID');
    const usage = await exec(process.execPath, [bin, 'decode']).catch((e) => e);
    expect(usage.code).toBe(2);
  });

  it('runs through the installed launcher (bin/samlkit.js), which package managers link', async () => {
    const exec = promisify(execFile);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const launcher = fileURLToPath(new URL(`../${pkg.bin.samlkit}`, import.meta.url));
    const { stdout: url } = await exec(process.execPath, [launcher, 'authn-request', ...required]);
    const { stdout: xml } = await exec(process.execPath, [launcher, 'decode', url.trim()]);
    expect(parseAuthnRequest(xml).issuer).toBe('https://sp.example.com/metadata');
    const usage = await exec(process.execPath, [launcher, 'decode']).catch((e) => e);
    expect(usage.code).toBe(2);
  });
});
if (!existsSync(bin))
  console.warn(`\n*** SKIPPING the built-binary test: ${bin} is absent (run pnpm build) ***\n`);
