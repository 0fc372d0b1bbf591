import { type CliIo, main } from '@samlkit/cli';
import { isSamlError, validateResponse } from '@samlkit/core';
import { buildResponse, generateTestKeys, type TestKeys, toPostBinding } from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeWithFixtures, sharedFixtures } from '../../../test/support/fixtures.js';
import { run } from './helpers.js';

const fx = sharedFixtures('interop', ['manifest.json']);

interface Entry {
  file: string;
  signatures?: { xmlsec1: string }[];
  expected: {
    issuer: string;
    nameId: string;
    nameIdFormat: string | null;
    sessionIndex: string | null;
    attributes: Record<string, string[]>;
  };
  samlkit_verify_args?: string[];
  authn?: unknown;
}
/** The manifest's responses that xmlsec1 verified and that say how to run `samlkit verify`. */
function verifiable(): Entry[] {
  const manifest: { responses: Entry[]; local_simplesamlphp?: Entry[] } = fx.json('manifest.json');
  return [...manifest.responses, ...(manifest.local_simplesamlphp ?? [])].filter(
    (e) =>
      e.samlkit_verify_args !== undefined &&
      (e.signatures ?? []).length > 0 &&
      e.signatures!.every((s) => s.xmlsec1 === 'OK'),
  );
}

/** Runs `samlkit` reading real files relative to the interop folder, as the manifest's paths are. */
async function runInInterop(
  argv: string[],
  stdin = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: async () => stdin,
    readFile: async (path) => fx.read(path),
    writeFile: async () => {
      throw new Error('verify writes no files');
    },
    fetch: () => Promise.reject(new Error('no network in tests')),
    now: () => new Date('2026-11-23T18:00:00Z'),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describeWithFixtures(fx, 'samlkit verify on real IdP responses', () => {
  const entries = verifiable();
  it.each(entries.map((e) => [e.file, e] as const))('%s', async (_n, e) => {
    const r = await runInInterop(['verify', e.file, ...e.samlkit_verify_args!]);
    expect(r.stderr).toBe('');
    if (!e.authn) {
      // SAML profiles §4.1.4.2: an assertion without AuthnStatement is no login, as in the library.
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).code).toBe('AUTHN_STATEMENT_MISSING');
      return;
    }
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.issuer).toBe(e.expected.issuer);
    expect(out.nameId).toBe(e.expected.nameId);
    expect(out.nameIdFormat).toBe(e.expected.nameIdFormat);
    expect(out.sessionIndex).toBe(e.expected.sessionIndex);
    expect(Object.keys(out.attributes).sort()).toEqual(Object.keys(e.expected.attributes).sort());
  });

  it('reads the base64 SAMLResponse value from stdin, URL-encoded as in a form body', async () => {
    const e = entries[0]!;
    const xml = fx.read(e.file);
    const form = `RelayState=x&SAMLResponse=${encodeURIComponent(Buffer.from(xml).toString('base64'))}`;
    const r = await runInInterop(['verify', '-', ...e.samlkit_verify_args!], form);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).nameId).toBe(e.expected.nameId);
  });

  it('explains a refusal: exit 1 and {code, message} on stdout', async () => {
    const e = entries[0]!;
    const args = [...e.samlkit_verify_args!];
    args[args.indexOf('--acs') + 1] = 'https://wrong.example/acs';
    const r = await runInInterop(['verify', e.file, ...args]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe('DESTINATION_MISMATCH');
    expect(out.message).toContain('https://wrong.example/acs');
    expect(out.message).toContain('Check:');
  });

  it('a time outside the window is refused', async () => {
    const e = entries[0]!;
    const args = [...e.samlkit_verify_args!];
    args[args.indexOf('--now') + 1] = '2030-01-01T00:00:00Z';
    const r = await runInInterop(['verify', e.file, ...args]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).code).toBe('EXPIRED');
  });
});

describe('samlkit verify with testkit responses', () => {
  const IDP = 'https://idp.example.org';
  const SP = 'https://sp.example.com/metadata';
  const ACS = 'https://sp.example.com/acs';
  const NOW = '2030-03-04T05:06:07Z';
  let keys: TestKeys;
  let solicited: string;
  let unsolicited: string;
  beforeAll(async () => {
    keys = await generateTestKeys();
    const base = {
      idpEntityId: IDP,
      spEntityId: SP,
      acsUrl: ACS,
      now: Date.parse(NOW),
      signingKey: keys,
      attributes: [{ name: 'groups', values: ['a', 'b'] }],
    };
    solicited = await buildResponse({ ...base, inResponseTo: '_req1' });
    unsolicited = await buildResponse(base);
  });
  const common = () => ['--idp-cert', 'idp.pem', '--sp-entity-id', SP, '--acs', ACS, '--now', NOW];

  describe('gives the library verdicts on signed content, lookups and the profile', () => {
    const base = () => ({
      idpEntityId: IDP,
      spEntityId: SP,
      acsUrl: ACS,
      now: Date.parse(NOW),
      signingKey: keys,
    });
    const verdict = async (xml: string, extra: string[] = []) => {
      const r = await run(['verify', 'x.xml', ...common(), ...extra], {
        files: { 'idp.pem': keys.certificatePem, 'x.xml': xml },
      });
      return { code: r.code, out: JSON.parse(r.stdout) as Record<string, unknown> };
    };

    it('an IdP-initiated assertion in an unsigned envelope naming the request is UNSOLICITED_RESPONSE', async () => {
      const xml = await buildResponse({
        ...base(),
        inResponseTo: '_req1',
        subjectConfirmation: { inResponseTo: null },
        sign: 'assertion',
      });
      const refused = await verdict(xml, ['--in-response-to', '_req1']);
      expect(refused.code).toBe(1);
      expect(refused.out.code).toBe('UNSOLICITED_RESPONSE');
      const relaxed = await verdict(xml, ['--in-response-to', '_req1', '--allow-unsolicited']);
      expect(relaxed.code).toBe(0);
      expect(relaxed.out.inResponseTo).toBeNull();
    });

    it('an assertion without AuthnStatement is AUTHN_STATEMENT_MISSING', async () => {
      const xml = await buildResponse({
        ...base(),
        inResponseTo: '_req1',
        omitAuthnStatement: true,
      });
      const r = await verdict(xml, ['--in-response-to', '_req1']);
      expect(r.code).toBe(1);
      expect(r.out.code).toBe('AUTHN_STATEMENT_MISSING');
    });

    // The hostile signature shapes of the benchmark (benchmarks/src/hostile-generate.ts), at a
    // smaller size: refused by the pre-parse scan, with the same code as the library.
    it.each([
      ['many References', 'XML_TOO_MANY_SIGNATURE_REFERENCES'],
      ['many Transforms', 'XML_TOO_MANY_TRANSFORMS'],
      ['two References', 'SIGNATURE_REFERENCE_INVALID'],
      ['three Transforms', 'SIGNATURE_TRANSFORM_FORBIDDEN'],
    ])('%s: %s, as the library says', async (shape, expected) => {
      const xml = await buildResponse({ ...base(), inResponseTo: '_req1', sign: 'assertion' });
      const reference = /<ds:Reference [\s\S]*?<\/ds:Reference>/.exec(xml)![0];
      const transform = /<ds:Transform Algorithm="[^"]*exc-c14n#"\/>/.exec(xml)![0];
      const bad = {
        'many References': () => xml.replace(reference, reference.repeat(300)),
        'many Transforms': () => xml.replace(transform, transform.repeat(2000)),
        'two References': () => xml.replace(reference, reference.repeat(2)),
        'three Transforms': () => xml.replace(transform, transform.repeat(2)),
      }[shape]!();
      let library: unknown;
      await validateResponse(bad, {
        sp: { entityId: SP, acsUrl: ACS },
        idp: { signingKeys: [keys.publicKey] },
        now: Date.parse(NOW),
        inResponseTo: '_req1',
      }).catch((e: unknown) => {
        library = isSamlError(e) ? e.code : e;
      });
      expect(library).toBe(expected);
      const cli = await verdict(bad, ['--in-response-to', '_req1']);
      expect(cli.code).toBe(1);
      expect(cli.out.code).toBe(expected);
    });

    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'rsa-sha256'])(
      'SignatureMethod %s is SIGNATURE_ALGORITHM_UNSUPPORTED, an attribute so named is ordinary',
      async (name) => {
        const xml = await buildResponse({
          ...base(),
          inResponseTo: '_req1',
          attributes: [{ name, values: ['v'] }],
        });
        const ok = await verdict(xml, ['--in-response-to', '_req1']);
        expect(ok.code).toBe(0);
        expect(Object.hasOwn(ok.out.attributes as object, name)).toBe(true);
        const bad = xml.replace(/(<ds:SignatureMethod Algorithm=")[^"]*"/, `$1${name}"`);
        expect(bad).not.toBe(xml);
        const r = await verdict(bad, ['--in-response-to', '_req1']);
        expect(r.code).toBe(1);
        expect(r.out.code).toBe('SIGNATURE_ALGORITHM_UNSUPPORTED');
      },
    );
  });
  const files = () => ({
    'idp.pem': keys.certificatePem,
    'r.xml': solicited,
    'u.xml': unsolicited,
  });

  it('accepts and prints attributes', async () => {
    const r = await run(
      ['verify', 'r.xml', ...common(), '--in-response-to', '_req1', '--idp-entity-id', IDP],
      {
        files: files(),
      },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      nameId: 'user@example.com',
      issuer: IDP,
      attributes: { groups: ['a', 'b'] },
      inResponseTo: '_req1',
    });
  });

  it('refuses a response to another request', async () => {
    const r = await run(['verify', 'r.xml', ...common(), '--in-response-to', '_other'], {
      files: files(),
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).code).toBe('IN_RESPONSE_TO_MISMATCH');
  });

  it('refuses an unsolicited response with --in-response-to unless --allow-unsolicited', async () => {
    const refused = await run(['verify', 'u.xml', ...common(), '--in-response-to', '_req1'], {
      files: files(),
    });
    expect(JSON.parse(refused.stdout).code).toBe('UNSOLICITED_RESPONSE');
    const ok = await run(
      ['verify', 'u.xml', ...common(), '--in-response-to', '_req1', '--allow-unsolicited'],
      {
        files: files(),
      },
    );
    expect(ok.code).toBe(0);
  });

  it('without --in-response-to, InResponseTo is reported but not checked', async () => {
    const r = await run(['verify', 'r.xml', ...common()], { files: files() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).inResponseTo).toBe('_req1');
  });

  it('takes the base64 value as the input too', async () => {
    const r = await run(['verify', '-', ...common()], {
      files: files(),
      stdin: toPostBinding(solicited),
    });
    expect(r.code).toBe(0);
  });

  it('uses the certificates and entityID of --idp-metadata', async () => {
    const b64 = keys.certificatePem.replace(/-----[^-]+-----|\s/g, '');
    const metadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${IDP}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${IDP}/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
    const args = ['--idp-metadata', 'md.xml', '--sp-entity-id', SP, '--acs', ACS, '--now', NOW];
    const r = await run(['verify', 'r.xml', ...args], {
      files: { ...files(), 'md.xml': metadata },
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).issuer).toBe(IDP);
  });

  it('refuses a response signed by another key', async () => {
    const other = await generateTestKeys();
    const r = await run(['verify', 'r.xml', ...common()], {
      files: { ...files(), 'idp.pem': other.certificatePem },
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).code).toBe('SIGNATURE_INVALID');
  });

  it.each([
    [['verify', 'r.xml', '--acs', ACS, '--idp-cert', 'idp.pem'], '--sp-entity-id is required'],
    [['verify', 'r.xml', '--sp-entity-id', SP, '--acs', ACS], '--idp-cert'],
    [['verify', '--sp-entity-id', SP, '--acs', ACS, '--idp-cert', 'idp.pem'], 'Response file'],
    [
      [
        'verify',
        'r.xml',
        ...['--idp-cert', 'idp.pem', '--sp-entity-id', SP, '--acs', ACS],
        '--now',
        'yesterday',
      ],
      '--now',
    ],
    [
      [
        'verify',
        'r.xml',
        ...['--idp-cert', 'idp.pem', '--sp-entity-id', SP, '--acs', ACS],
        '--clock-skew',
        'x',
      ],
      '--clock-skew',
    ],
    [
      ['verify', 'missing.xml', ...['--idp-cert', 'idp.pem', '--sp-entity-id', SP, '--acs', ACS]],
      'cannot read',
    ],
  ])('usage error %#: exit 2', async (argv, message) => {
    const r = await run(argv, { files: files() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
