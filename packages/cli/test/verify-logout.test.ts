import {
  createLogoutRequest,
  createLogoutResponse,
  isSamlError,
  signXml,
  validateLogoutRequest,
} from '@samlkit/core';
import { generateTestKeys, type TestKeys } from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeWithFixtures, sharedFixtures } from '../../../test/support/fixtures.js';
import { run } from './helpers.js';

const fx = sharedFixtures('interop', [
  'certs/simplesamlphp-local-idp.pem',
  'logout/simplesamlphp-local-logoutrequest-1.query.txt',
  'logout/simplesamlphp-local-logoutrequest-1.xml',
  'logout/simplesamlphp-local-logoutresponse-1.query.txt',
  'logout/simplesamlphp-local-logoutresponse-1.xml',
]);
const read = (path: string) => fx.read(path).trim();

const IDP = 'http://127.0.0.1:8089/saml2/idp/metadata.php';
const SLO = 'http://localhost:3000/saml/slo';
const REQ_NOW = '2026-11-23T16:44:57Z';

function golden() {
  return {
    'idp.pem': read('certs/simplesamlphp-local-idp.pem'),
    'req.txt': read('logout/simplesamlphp-local-logoutrequest-1.query.txt'),
    'req.xml': read('logout/simplesamlphp-local-logoutrequest-1.xml'),
    'res.txt': read('logout/simplesamlphp-local-logoutresponse-1.query.txt'),
    'res.xml': read('logout/simplesamlphp-local-logoutresponse-1.xml'),
  };
}

describeWithFixtures(fx, 'samlkit verify-logout on real SimpleSAMLphp messages', () => {
  it('validates the signed Redirect LogoutRequest (file and URL) and prints what the SP learns', async () => {
    const files = golden();
    const args = [
      '--idp-cert',
      'idp.pem',
      '--idp-entity-id',
      IDP,
      '--destination',
      SLO,
      '--now',
      REQ_NOW,
    ];
    for (const input of ['req.txt', `${SLO}?${files['req.txt']}`]) {
      const r = await run(['verify-logout', input, ...args], { files });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({
        type: 'LogoutRequest',
        binding: 'redirect',
        issuer: IDP,
        nameId: 'student@example.org',
        nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        sessionIndex: ['_9f220ed63ea82f29edce00ca739c4c7b809f40dd4c'],
        destination: SLO,
        signature: {
          method: 'query',
          algorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        },
      });
    }
  });

  it('validates the signed Redirect LogoutResponse against --in-response-to', async () => {
    const files = golden();
    const base = [
      'verify-logout',
      'res.txt',
      '--idp-cert',
      'idp.pem',
      '--idp-entity-id',
      IDP,
      '--now',
      REQ_NOW,
    ];
    const ok = await run(
      [...base, '--in-response-to', '_72f635a32124cec2ee17ec39c8b74dd333b3beb2'],
      { files },
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      type: 'LogoutResponse',
      issuer: IDP,
      status: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      inResponseTo: '_72f635a32124cec2ee17ec39c8b74dd333b3beb2',
      relayState: 'sp-slo-test',
    });
    const wrong = await run([...base, '--in-response-to', '_other'], { files });
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).code).toBe('IN_RESPONSE_TO_MISMATCH');
    // Without --in-response-to it is reported, not checked.
    const report = await run(base, { files });
    expect(report.code).toBe(0);
  });

  it('refuses: tampered query, wrong destination, wrong issuer, expired, unsigned XML', async () => {
    const files = golden();
    const trust = ['--idp-cert', 'idp.pem'];
    const cases: [string[], Record<string, string>, string][] = [
      [
        ['t.txt'],
        { 't.txt': files['req.txt'].replace('RelayState=_', 'RelayState=X') },
        'SIGNATURE_INVALID',
      ],
      [['req.txt', '--destination', 'https://sp.example/slo'], {}, 'DESTINATION_MISMATCH'],
      [['req.txt', '--idp-entity-id', 'https://other-idp'], {}, 'ISSUER_MISMATCH'],
      [['req.txt', '--now', '2026-11-23T17:30:00Z'], {}, 'EXPIRED'],
      [['req.xml'], {}, 'SIGNATURE_MISSING'],
      [['res.xml'], {}, 'SIGNATURE_MISSING'],
    ];
    for (const [args, extra, code] of cases) {
      const now = args.includes('--now') ? [] : ['--now', REQ_NOW];
      const r = await run(['verify-logout', ...args, ...trust, ...now], {
        files: { ...files, ...extra },
      });
      expect(r.code, `${args.join(' ')} → ${r.stdout}${r.stderr}`).toBe(1);
      expect(JSON.parse(r.stdout).code).toBe(code);
    }
  });

  it('samlkit decode prints the XML of both logout query strings', async () => {
    const files = golden();
    for (const [query, xml] of [
      [files['req.txt'], files['req.xml']],
      [files['res.txt'], files['res.xml']],
    ] as const) {
      const r = await run(['decode', '-'], { stdin: query });
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(xml);
    }
  });
});

describe('samlkit verify-logout on POST-bound messages', () => {
  let idp: TestKeys;
  const NOW = new Date('2031-05-06T12:00:00Z');
  beforeAll(async () => {
    idp = await generateTestKeys();
  });

  it('accepts a signed LogoutRequest given as XML, base64 and form body', async () => {
    const { xml } = await createLogoutRequest({
      issuer: 'https://idp.example',
      destination: 'https://sp.example/slo',
      nameId: { value: 'alice' },
      sessionIndexes: ['_s1', '_s2'],
      now: NOW,
    });
    const signed = await signXml(xml, { key: idp.privateKey });
    const b64 = Buffer.from(signed).toString('base64');
    const files = {
      'idp.pem': idp.certificatePem,
      'm.xml': signed,
      'm.b64': b64,
      'form.txt': `SAMLRequest=${encodeURIComponent(b64)}&RelayState=a+b`,
    };
    for (const file of ['m.xml', 'm.b64', 'form.txt']) {
      const r = await run(
        [
          'verify-logout',
          file,
          '--idp-cert',
          'idp.pem',
          '--destination',
          'https://sp.example/slo',
          '--now',
          NOW.toISOString(),
        ],
        { files },
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        type: 'LogoutRequest',
        binding: 'post',
        nameId: 'alice',
        sessionIndex: ['_s1', '_s2'],
        signature: { method: 'xml' },
      });
    }
  });

  // The hostile signature shapes of the benchmark, on a POST-bound LogoutRequest: refused by the
  // pre-parse scan, with the same code as the library.
  it.each([
    ['many References', 'XML_TOO_MANY_SIGNATURE_REFERENCES'],
    ['many Transforms', 'XML_TOO_MANY_TRANSFORMS'],
    ['two References', 'SIGNATURE_REFERENCE_INVALID'],
  ])('%s: %s, as the library says', async (shape, expected) => {
    const { xml } = await createLogoutRequest({
      issuer: 'https://idp.example',
      destination: 'https://sp.example/slo',
      nameId: { value: 'alice' },
      now: NOW,
    });
    const signed = await signXml(xml, { key: idp.privateKey });
    const reference = /<ds:Reference [\s\S]*?<\/ds:Reference>/.exec(signed)![0];
    const transform = /<ds:Transform Algorithm="[^"]*exc-c14n#"\/>/.exec(signed)![0];
    const bad = {
      'many References': () => signed.replace(reference, reference.repeat(300)),
      'many Transforms': () => signed.replace(transform, transform.repeat(2000)),
      'two References': () => signed.replace(reference, reference.repeat(2)),
    }[shape]!();
    let library: unknown;
    await validateLogoutRequest(
      { binding: 'post', form: { SAMLRequest: Buffer.from(bad).toString('base64') } },
      {
        sp: { singleLogoutServices: [{ binding: 'redirect', location: 'https://sp.example/slo' }] },
        idp: { signingKeys: [idp.publicKey] },
        now: NOW,
      },
    ).catch((e: unknown) => {
      library = isSamlError(e) ? e.code : e;
    });
    expect(library).toBe(expected);
    const r = await run(
      [
        'verify-logout',
        'm.xml',
        '--idp-cert',
        'idp.pem',
        '--destination',
        'https://sp.example/slo',
        '--now',
        NOW.toISOString(),
      ],
      { files: { 'idp.pem': idp.certificatePem, 'm.xml': bad } },
    );
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).code).toBe(expected);
  });

  it('reports a partial-logout LogoutResponse from stdin', async () => {
    const { xml } = createLogoutResponse({
      issuer: 'https://idp.example',
      inResponseTo: '_q',
      status: { code: 'Success', subCode: 'PartialLogout' },
      now: NOW,
    });
    const signed = await signXml(xml, { key: idp.privateKey });
    const r = await run(
      [
        'verify-logout',
        '-',
        '--idp-cert',
        'idp.pem',
        '--in-response-to',
        '_q',
        '--now',
        NOW.toISOString(),
      ],
      {
        stdin: signed,
        files: { 'idp.pem': idp.certificatePem },
      },
    );
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      type: 'LogoutResponse',
      success: true,
      partialLogout: true,
    });
  });

  it('exits 2 for usage errors', async () => {
    expect((await run(['verify-logout'])).code).toBe(2);
    expect((await run(['verify-logout', '-'], { stdin: '<x/>' })).code).toBe(2); // no trust
    expect((await run(['verify-logout', '-', '--bogus'])).code).toBe(2);
  });
});

describeWithFixtures(fx, 'samlkit verify-logout gives the library verdicts on lookups', () => {
  const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
  const args = ['--idp-cert', 'idp.pem', '--idp-entity-id', IDP, '--now', REQ_NOW];

  it.each([...NAMES, 'rsa-sha256', 'rsa-sha1'])(
    'SigAlg %s is SIGNATURE_ALGORITHM_UNSUPPORTED',
    async (alg) => {
      const files = golden();
      const query = files['req.txt'].replace(/SigAlg=[^&]*/, `SigAlg=${encodeURIComponent(alg)}`);
      expect(query).not.toBe(files['req.txt']);
      const r = await run(['verify-logout', 'q.txt', ...args], {
        files: { ...files, 'q.txt': query },
      });
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).code).toBe('SIGNATURE_ALGORITHM_UNSUPPORTED');
    },
  );

  it.each(NAMES)('a parameter named %s is ignored like any unknown one', async (name) => {
    const files = golden();
    const r = await run(['verify-logout', 'q.txt', ...args], {
      files: { ...files, 'q.txt': `${files['req.txt']}&${name}=x` },
    });
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout).nameId).toBe('student@example.org');
  });
});
