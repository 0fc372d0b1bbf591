import {
  isSamlError,
  loadPrivateKey,
  loadPublicKeys,
  type ValidateResponseOptions,
  validateResponse,
} from '@samlkit/core';
import { expect, it } from 'vitest';
import { describeWithFixtures, sharedFixtures } from '../../../../test/support/fixtures.js';

// Real IdP responses, read in place. Every file whose signatures xmlsec1 verified must be accepted
// at an instant inside its window with the listed certificate, and yield the listed values.
const fx = sharedFixtures('interop', ['manifest.json']);

interface Entry {
  file: string;
  xmlsec1_verdict?: string;
  signatures: { xmlsec1: string }[];
  requires_allow_sha1?: boolean;
  encrypted_assertion?: boolean;
  assertion_id?: string;
  name_id?: {
    value: string;
    format: string | null;
    name_qualifier: string | null;
    sp_name_qualifier: string | null;
  };
  authn?: { session_index: string | null; authn_context_class: string | null } | null;
  expected: {
    issuer: string;
    nameId: string;
    nameIdFormat: string | null;
    sessionIndex: string | null;
    attributes: Record<string, string[]>;
  };
  samlkit_verify_args: string[];
}

/** The manifest's responses that xmlsec1 verified and that say how to run `samlkit verify`. */
function verifiable(): Entry[] {
  const manifest: { responses: Entry[]; local_simplesamlphp?: Entry[] } = fx.json('manifest.json');
  return [...manifest.responses, ...(manifest.local_simplesamlphp ?? [])].filter(
    (e) =>
      e.samlkit_verify_args !== undefined &&
      (e.signatures ?? []).length > 0 &&
      e.signatures.every((s) => s.xmlsec1 === 'OK'),
  );
}

/** Turns a manifest entry's `samlkit verify` arguments into validateResponse options. */
function optionsFromArgs(args: string[]): ValidateResponseOptions {
  const certs: string[] = [];
  const spKeys: string[] = [];
  let spEntityId = '';
  let acs = '';
  let irt: string | undefined;
  let now = '';
  let idpEntityId: string | undefined;
  let allowSha1 = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const v = () => args[++i]!;
    if (a === '--idp-cert') certs.push(v());
    else if (a === '--sp-key') spKeys.push(v());
    else if (a === '--sp-entity-id') spEntityId = v();
    else if (a === '--acs') acs = v();
    else if (a === '--in-response-to') irt = v();
    else if (a === '--now') now = v();
    else if (a === '--idp-entity-id') idpEntityId = v();
    else if (a === '--allow-sha1') allowSha1 = true;
    else throw new Error(`unexpected manifest argument ${a}`);
  }
  const read = (p: string) => fx.read(p);
  return {
    sp: { entityId: spEntityId, acsUrl: acs },
    idp: {
      ...(idpEntityId ? { entityId: idpEntityId } : {}),
      signingKeys: certs.flatMap((c) => loadPublicKeys(read(c))),
    },
    now: Date.parse(now),
    ...(irt !== undefined ? { inResponseTo: irt } : { skipInResponseToCheck: true }),
    allowSha1,
    decryptionKeys: spKeys.map((k) => loadPrivateKey(read(k))),
  };
}

describeWithFixtures(fx, 'validateResponse accepts real IdP responses', () => {
  const entries = verifiable();
  it('has every manifest entry to test', () => {
    expect(entries.length).toBeGreaterThanOrEqual(28);
  });

  it.each(entries.map((e) => [e.file, e] as const))('%s', async (_name, e) => {
    const xml = fx.read(e.file);
    const options = optionsFromArgs(e.samlkit_verify_args);
    if (!e.authn) {
      // SAML profiles §4.1.4.2: a Web SSO assertion without AuthnStatement is no login (one
      // fixture is an assertion trimmed down by the project it comes from).
      await expect(validateResponse(xml, options)).rejects.toMatchObject({
        code: 'AUTHN_STATEMENT_MISSING',
      });
      return;
    }
    const result = await validateResponse(xml, options);
    expect(result.issuer).toBe(e.expected.issuer);
    expect(result.nameId?.value).toBe(e.expected.nameId);
    expect(result.userId).toBe(e.expected.nameId);
    expect(result.nameId?.format ?? null).toBe(e.expected.nameIdFormat);
    if (e.name_id) {
      expect(result.nameId?.nameQualifier ?? null).toBe(e.name_id.name_qualifier);
      expect(result.nameId?.spNameQualifier ?? null).toBe(e.name_id.sp_name_qualifier);
    }
    expect(result.sessionIndex ?? null).toBe(e.expected.sessionIndex);
    // The manifest records an AttributeValue's direct text only; samlkit returns element content
    // (eduPersonTargetedID's NameID) as its XML, so those values are compared by their text.
    const attributes = Object.fromEntries(
      Object.entries(result.attributes).map(([k, vs]) => [
        k,
        vs.map((v) => (v.startsWith('<') && e.expected.attributes[k]?.includes('') ? '' : v)),
      ]),
    );
    expect(attributes).toEqual(e.expected.attributes);
    expect(result.encrypted).toBe(e.encrypted_assertion ?? false);
    if (e.assertion_id) expect(result.assertionId).toBe(e.assertion_id);
    if (e.authn?.authn_context_class) {
      expect(result.authn?.authnContextClassRef).toBe(e.authn.authn_context_class);
    }
    // The same bytes as the HTTP-POST binding delivers them.
    const b64 = Buffer.from(xml, 'utf8').toString('base64');
    expect((await validateResponse(b64, options)).assertionId).toBe(result.assertionId);
  });

  it.each(entries.filter((e) => e.requires_allow_sha1).map((e) => [e.file, e] as const))(
    '%s is refused without allowSha1',
    async (_name, e) => {
      const xml = fx.read(e.file);
      const options = { ...optionsFromArgs(e.samlkit_verify_args), allowSha1: false };
      await expect(validateResponse(xml, options)).rejects.toSatisfy((err) =>
        isSamlError(err, 'SIGNATURE_ALGORITHM_FORBIDDEN'),
      );
    },
  );

  it.each(entries.map((e) => [e.file, e] as const))(
    '%s is refused with another IdP certificate',
    async (_name, e) => {
      const xml = fx.read(e.file);
      const options = optionsFromArgs(e.samlkit_verify_args);
      const other = entries.find(
        (o) => o.samlkit_verify_args[1] !== e.samlkit_verify_args[1] && !o.requires_allow_sha1,
      )!;
      const otherKeys = optionsFromArgs(other.samlkit_verify_args).idp.signingKeys;
      await expect(
        validateResponse(xml, { ...options, idp: { ...options.idp, signingKeys: otherKeys } }),
      ).rejects.toSatisfy(
        (err) =>
          isSamlError(err, 'SIGNATURE_INVALID') || isSamlError(err, 'SIGNATURE_KEY_UNTRUSTED'),
      );
    },
  );
});
