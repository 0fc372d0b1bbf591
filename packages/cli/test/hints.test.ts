// The command line speaks in flags: a refused message's failure JSON carries a `hint` naming the
// flag to try, usage errors are one line with a pointer to --help (and a suggestion for a typo),
// and failures print JSON the way successes do.
import { X509Certificate } from 'node:crypto';
import {
  buildResponse,
  encryptAssertionTo,
  generateTestKeys,
  type TestKeys,
} from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from './helpers.js';

const IDP = 'https://idp.example.org';
const SP = 'https://sp.example.com/metadata';
const ACS = 'https://sp.example.com/acs';
const ISSUED = '2030-03-04T05:06:07.000Z';

describe('samlkit verify: hints in flags', () => {
  let idp: TestKeys;
  let other: TestKeys;
  let sp: TestKeys;
  const base = () => ({
    idpEntityId: IDP,
    spEntityId: SP,
    acsUrl: ACS,
    now: Date.parse(ISSUED),
    signingKey: idp,
  });
  beforeAll(async () => {
    [idp, other, sp] = await Promise.all([
      generateTestKeys(),
      generateTestKeys({ subject: 'other-idp' }),
      generateTestKeys({ subject: 'sp' }),
    ]);
  });
  const verify = async (xml: string, extra: string[] = [], now = ISSUED) => {
    const r = await run(
      ['verify', 'r.xml', '--idp-cert', 'idp.pem', '--sp-entity-id', SP, '--acs', ACS, ...extra],
      {
        files: { 'idp.pem': idp.certificatePem, 'other.pem': other.certificatePem, 'r.xml': xml },
        now: new Date(now),
      },
    );
    return { ...r, out: JSON.parse(r.stdout) as Record<string, unknown> };
  };

  it('an expired assertion points to --now with the IssueInstant', async () => {
    const r = await verify(await buildResponse(base()), [], '2030-03-05T00:00:00Z');
    expect(r.code).toBe(1);
    expect(r.out.code).toBe('EXPIRED');
    expect(r.out.hint).toContain(`--now ${ISSUED}`);
    // The hint is right: with it the message verifies.
    expect((await verify(await buildResponse(base()), ['--now', ISSUED])).code).toBe(0);
  });

  it('a SHA-1 signature points to --allow-sha1', async () => {
    const xml = await buildResponse({ ...base(), algorithm: 'rsa-sha1', digest: 'sha1' });
    const r = await verify(xml, ['--now', ISSUED]);
    expect(r.code).toBe(1);
    expect(r.out.hint).toContain('--allow-sha1');
    expect((await verify(xml, ['--now', ISSUED, '--allow-sha1'])).code).toBe(0);
  });

  it('an encrypted assertion without the SP key points to --sp-key', async () => {
    const xml = await buildResponse({ ...base(), encrypt: encryptAssertionTo(sp.publicKey) });
    const r = await verify(xml, ['--now', ISSUED]);
    expect(r.code).toBe(1);
    expect(r.out.code).toBe('DECRYPTION_FAILED');
    expect(r.out.hint).toContain('--sp-key');
  });

  it('a signature by another key shows the carried certificate fingerprint, as a hint only', async () => {
    const xml = await buildResponse({ ...base(), signingKey: other, includeCertificate: true });
    const r = await verify(xml, ['--now', ISSUED]);
    expect(r.code).toBe(1);
    const fingerprint = new X509Certificate(other.certificatePem).fingerprint256;
    expect(r.out.hint).toContain(fingerprint);
    expect(r.out.hint).toContain('never against one the message brings');
  });

  it('prints failures as it prints successes: one indented JSON object', async () => {
    const ok = await verify(await buildResponse(base()), ['--now', ISSUED]);
    const refused = await verify(await buildResponse(base()), [], '2031-01-01T00:00:00Z');
    expect(ok.stdout.startsWith('{\n  "')).toBe(true);
    expect(refused.stdout.startsWith('{\n  "')).toBe(true);
  });
});

describe('usage errors', () => {
  it('an unknown flag: one line, a suggestion and where the options are', async () => {
    const r = await run(['verify', 'r.xml', '--idp-crt', 'idp.pem']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'samlkit verify: unknown option --idp-crt (did you mean --idp-cert?); run `samlkit verify --help` for the options\n',
    );
  });

  it('a missing value: one line', async () => {
    const r = await run(['verify', 'r.xml', '--acs', 'https://sp/acs']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--sp-entity-id is required');
  });

  it('an unknown command: one line with a suggestion', async () => {
    const r = await run(['verfy', 'r.xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'samlkit: unknown command "verfy" (did you mean verify?); run `samlkit --help` for the commands\n',
    );
  });

  it('suggests nothing for a name far from every flag', async () => {
    const r = await run(['verify', 'r.xml', '--completely-different']);
    expect(r.stderr).not.toContain('did you mean');
  });
});
