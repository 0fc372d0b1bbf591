import {
  isSamlError,
  MemoryStore,
  type SamlErrorCode,
  type ValidateResponseOptions,
  validateResponse,
} from '@samlkit/core';
import {
  type BuildResponseOptions,
  buildResponse,
  editXml,
  encryptAssertionTo,
  generateTestKeys,
  setNameId,
  type TestKeys,
  toPostBinding,
  XSW_VARIANTS,
  xswWrap,
} from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { IDP, NOW, REQ, refusalCode, responseSetup, SP } from '../support/response-setup.js';

// Every attack class the validator must refuse, each with the code its defence produces.

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

let idp: TestKeys;
let attacker: TestKeys;
let ecIdp: TestKeys;
let spKeys: TestKeys;

beforeAll(async () => {
  [idp, attacker, ecIdp, spKeys] = await Promise.all([
    generateTestKeys({ subject: 'idp' }),
    generateTestKeys({ subject: 'attacker' }),
    generateTestKeys({ subject: 'idp-ec', alg: 'p256' }),
    generateTestKeys({ subject: 'sp' }),
  ]);
});

const { base, options } = responseSetup(() => idp);

async function refused(
  xml: string,
  code: SamlErrorCode,
  opts: Partial<ValidateResponseOptions> = {},
): Promise<void> {
  expect(await refusalCode(validateResponse(xml, options(opts)))).toBe(code);
}

function first(doc: Document, ns: string, local: string): Element {
  const el = doc.getElementsByTagNameNS(ns, local)[0];
  if (!el) throw new Error(`no ${local}`);
  return el;
}

describe('the baseline is accepted', () => {
  it.each(['assertion', 'response', 'both'] as const)('signed %s', async (sign) => {
    const r = await validateResponse(await buildResponse(base({ sign })), options());
    expect(r.userId).toBe('alice@example.com');
    expect(r.signature.response).toBe(sign !== 'assertion');
    expect(r.signature.assertion).toBe(sign !== 'response');
  });
});

describe('XML signature wrapping', () => {
  it.each(XSW_VARIANTS.filter((v) => v <= 2))(
    'XSW%i: a forged Response around the signed one is refused',
    async (variant) => {
      const signed = await buildResponse(base({ sign: 'response' }));
      const attack = xswWrap(signed, variant, (r) => setNameId(r, 'admin@example.com'));
      // The copied signature references the original's ID, not the root it now sits in.
      await refused(attack, 'SIGNATURE_REFERENCE_INVALID');
    },
  );

  it.each(XSW_VARIANTS.filter((v) => v > 2))(
    'XSW%i: a forged Assertion next to the signed one is refused',
    async (variant) => {
      const signed = await buildResponse(base({ sign: 'assertion' }));
      const attack = xswWrap(signed, variant, (a) => setNameId(a, 'admin@example.com'));
      await refused(attack, 'ASSERTION_MULTIPLE');
    },
  );

  it.each(XSW_VARIANTS.filter((v) => v > 2))(
    'XSW%i inside a signed Response is refused too',
    async (variant) => {
      const signed = await buildResponse(base({ sign: 'both' }));
      const attack = xswWrap(signed, variant, (a) => setNameId(a, 'admin@example.com'));
      await expect(validateResponse(attack, options())).rejects.toSatisfy((e) => isSamlError(e));
    },
  );

  it('a forged Assertion that replaces the signed one, with its ID and signature, fails the digest', async () => {
    const signed = await buildResponse(base({ sign: 'assertion' }));
    const attack = editXml(signed, (doc) => setNameId(first(doc, SAML, 'Assertion'), 'admin@x'));
    await refused(attack, 'SIGNATURE_DIGEST_MISMATCH');
  });

  it('the only assertion nested in Extensions (none directly in the Response) is not read', async () => {
    const signed = await buildResponse(base({ sign: 'assertion' }));
    const attack = editXml(signed, (doc) => {
      const root = doc.documentElement;
      const a = first(doc, SAML, 'Assertion');
      const ext = doc.createElementNS(SAMLP, 'samlp:Extensions');
      root.insertBefore(ext, first(doc, SAMLP, 'Status'));
      ext.appendChild(a);
    });
    await refused(attack, 'ASSERTION_MISSING');
  });
});

describe('comment injection in NameID', () => {
  it('reads the whole signed NameID, not the text before the comment', async () => {
    const signed = await buildResponse(base({ nameId: { value: 'admin@example.com.evil.org' } }));
    const attack = signed.replace(
      'admin@example.com.evil.org',
      'admin@example.com<!---->.evil.org',
    );
    expect(attack).not.toBe(signed);
    // Comments are outside the canonical form, so the signature still holds …
    const r = await validateResponse(attack, options());
    // … and the identity is the one that was signed.
    expect(r.nameId?.value).toBe('admin@example.com.evil.org');
    expect(r.userId).toBe('admin@example.com.evil.org');
  });

  it('in an attribute value too', async () => {
    const signed = await buildResponse(
      base({ attributes: [{ name: 'email', values: ['admin@example.com.evil.org'] }] }),
    );
    const attack = signed.replace(
      'admin@example.com.evil.org',
      'admin@example.com<!---->.evil.org',
    );
    const r = await validateResponse(attack, options());
    expect(r.attributes['email']).toEqual(['admin@example.com.evil.org']);
  });
});

describe('signature presence and coverage', () => {
  it('signature stripped from a signed assertion', async () => {
    const signed = await buildResponse(base({ sign: 'assertion' }));
    const attack = editXml(signed, (doc) => {
      const a = first(doc, SAML, 'Assertion');
      a.removeChild(first(doc, DS, 'Signature'));
    });
    await refused(attack, 'SIGNATURE_MISSING');
  });

  it('signature stripped from a signed response', async () => {
    const signed = await buildResponse(base({ sign: 'response' }));
    const attack = editXml(signed, (doc) => {
      doc.documentElement.removeChild(first(doc, DS, 'Signature'));
    });
    await refused(attack, 'SIGNATURE_MISSING');
  });

  it('unsigned assertion in a signed response is refused with requireAssertionSignature', async () => {
    const signed = await buildResponse(base({ sign: 'response' }));
    await refused(signed, 'SIGNATURE_MISSING', { requireAssertionSignature: true });
  });

  it('unsigned response is refused with requireResponseSignature', async () => {
    const signed = await buildResponse(base({ sign: 'assertion' }));
    await refused(signed, 'SIGNATURE_MISSING', { requireResponseSignature: true });
  });

  it('a signature over a different element (taken from another response) is refused', async () => {
    const other = await buildResponse(base({ sign: 'assertion', assertionId: '_other' }));
    const mine = await buildResponse(base({ sign: 'none', assertionId: '_mine' }));
    const otherSig = editXml(other, () => {}).match(/<ds:Signature[\s\S]*<\/ds:Signature>/)![0];
    const attack = mine.replace(
      /(<saml:Assertion[^>]*>\s*<saml:Issuer>[^<]*<\/saml:Issuer>)/,
      `$1${otherSig}`,
    );
    expect(attack).toContain('URI="#_other"');
    await refused(attack, 'SIGNATURE_REFERENCE_INVALID');
  });

  it('a Reference pointing at the Response from the assertion signature is refused', async () => {
    const signed = await buildResponse(base({ sign: 'assertion', responseId: '_resp' }));
    const attack = editXml(signed, (doc) => {
      first(doc, DS, 'Reference').setAttribute('URI', '#_resp');
    });
    await refused(attack, 'SIGNATURE_REFERENCE_INVALID');
  });

  it('two assertions, both validly signed, are refused', async () => {
    const signed = await buildResponse(base({ sign: 'assertion', assertionId: '_a1' }));
    const second = await buildResponse(base({ sign: 'assertion', assertionId: '_a2' }));
    const secondAssertion = second.match(/<saml:Assertion[\s\S]*<\/saml:Assertion>/)![0];
    const attack = signed.replace('</samlp:Response>', `${secondAssertion}</samlp:Response>`);
    await refused(attack, 'ASSERTION_MULTIPLE');
  });
});

describe('keys', () => {
  it('KeyInfo key substitution: signed by the attacker with the attacker certificate in KeyInfo', async () => {
    const attack = await buildResponse(base({ signingKey: attacker, includeCertificate: true }));
    expect(attack).toContain('X509Certificate');
    await refused(attack, 'SIGNATURE_INVALID');
  });

  it('KeyInfo carrying the trusted certificate does not make an attacker signature valid', async () => {
    const attack = await buildResponse(
      base({
        signingKey: { privateKey: attacker.privateKey, certificatePem: idp.certificatePem },
      }),
    );
    await refused(attack, 'SIGNATURE_INVALID');
  });

  it('untrusted certificate (no KeyInfo)', async () => {
    const attack = await buildResponse(base({ signingKey: attacker, includeCertificate: false }));
    await refused(attack, 'SIGNATURE_INVALID');
  });

  it('an ECDSA signature when only RSA keys are trusted', async () => {
    const attack = await buildResponse(base({ signingKey: ecIdp }));
    await refused(attack, 'SIGNATURE_KEY_UNTRUSTED');
  });

  it('any of several configured keys (rollover) verifies', async () => {
    const xml = await buildResponse(base({ signingKey: ecIdp, sign: 'both' }));
    const r = await validateResponse(
      xml,
      options({ idp: { entityId: IDP, signingKeys: [idp.publicKey, ecIdp.publicKey] } }),
    );
    expect(r.signature.key).toBe(ecIdp.publicKey);
  });
});

describe('algorithms', () => {
  it('rsa-sha1 is refused unless allowSha1', async () => {
    const xml = await buildResponse(base({ algorithm: 'rsa-sha1' }));
    await refused(xml, 'SIGNATURE_ALGORITHM_FORBIDDEN');
    expect((await validateResponse(xml, options({ allowSha1: true }))).userId).toBe(
      'alice@example.com',
    );
  });

  it('a SHA-1 digest is refused unless allowSha1', async () => {
    const xml = await buildResponse(base({ digest: 'sha1' }));
    await refused(xml, 'SIGNATURE_ALGORITHM_FORBIDDEN');
    await expect(validateResponse(xml, options({ allowSha1: true }))).resolves.toBeDefined();
  });

  it('ecdsa-sha1 is refused unless allowSha1', async () => {
    const xml = await buildResponse(base({ signingKey: ecIdp, algorithm: 'ecdsa-sha1' }));
    await refused(xml, 'SIGNATURE_ALGORITHM_FORBIDDEN', {
      idp: { entityId: IDP, signingKeys: [ecIdp.publicKey] },
    });
  });

  it('an unknown signature algorithm (rsa-md5) is refused', async () => {
    const xml = editXml(await buildResponse(base()), (doc) => {
      first(doc, DS, 'SignatureMethod').setAttribute(
        'Algorithm',
        'http://www.w3.org/2001/04/xmldsig-more#rsa-md5',
      );
    });
    await refused(xml, 'SIGNATURE_ALGORITHM_UNSUPPORTED');
  });

  it('an unknown digest (md5) is refused', async () => {
    const xml = editXml(await buildResponse(base()), (doc) => {
      first(doc, DS, 'DigestMethod').setAttribute(
        'Algorithm',
        'http://www.w3.org/2001/04/xmldsig-more#md5',
      );
    });
    await refused(xml, 'SIGNATURE_ALGORITHM_UNSUPPORTED');
  });

  it('an HMAC signature is refused', async () => {
    const xml = editXml(await buildResponse(base()), (doc) => {
      first(doc, DS, 'SignatureMethod').setAttribute(
        'Algorithm',
        'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
      );
    });
    await refused(xml, 'SIGNATURE_ALGORITHM_FORBIDDEN', { allowSha1: true });
  });

  it.each([
    ['XPath', 'http://www.w3.org/TR/1999/REC-xpath-19991116'],
    ['XPath Filter 2', 'http://www.w3.org/2002/06/xmldsig-filter2'],
    ['XSLT', 'http://www.w3.org/TR/1999/REC-xslt-19991116'],
  ])('an unexpected %s transform is refused', async (_name, uri) => {
    const xml = editXml(await buildResponse(base()), (doc) => {
      const transforms = first(doc, DS, 'Transforms');
      const t = doc.createElementNS(DS, 'ds:Transform');
      t.setAttribute('Algorithm', uri);
      transforms.appendChild(t);
    });
    await refused(xml, 'SIGNATURE_TRANSFORM_FORBIDDEN');
  });

  it('two References in one signature are refused', async () => {
    const xml = editXml(await buildResponse(base()), (doc) => {
      const ref = first(doc, DS, 'Reference');
      ref.parentNode!.appendChild(ref.cloneNode(true));
    });
    await refused(xml, 'SIGNATURE_REFERENCE_INVALID');
  });

  it('canonicalization with comments is refused', async () => {
    const xml = editXml(await buildResponse(base()), (doc) => {
      const transforms = doc.getElementsByTagNameNS(DS, 'Transform');
      transforms[transforms.length - 1]!.setAttribute(
        'Algorithm',
        'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
      );
    });
    await refused(xml, 'SIGNATURE_TRANSFORM_FORBIDDEN');
  });

  it.each([
    ['empty', ''],
    ['xpointer', "#xpointer(id('ASSERTION'))"],
    ['bare xpointer', '#xpointer(/)'],
  ])('an %s Reference URI is refused', async (_name, uri) => {
    const xml = editXml(await buildResponse(base({ assertionId: 'ASSERTION' })), (doc) => {
      first(doc, DS, 'Reference').setAttribute('URI', uri);
    });
    await refused(xml, 'SIGNATURE_REFERENCE_INVALID');
  });

  it('a duplicate of the signed ID elsewhere in the document is refused', async () => {
    const xml = editXml(await buildResponse(base({ assertionId: '_dup' })), (doc) => {
      const ext = doc.createElementNS(SAMLP, 'samlp:Extensions');
      const x = doc.createElementNS('urn:example:ext', 'x:Thing');
      x.setAttribute('ID', '_dup');
      ext.appendChild(x);
      doc.documentElement.insertBefore(ext, first(doc, SAMLP, 'Status'));
    });
    await refused(xml, 'SIGNATURE_DUPLICATE_ID');
  });
});

describe('parsing', () => {
  it('a DOCTYPE with entities is refused', async () => {
    const signed = await buildResponse(base());
    const attack = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "admin">]>${signed}`;
    await refused(attack, 'XML_DOCTYPE_FORBIDDEN');
    await refused(toPostBinding(attack), 'XML_DOCTYPE_FORBIDDEN');
  });

  it('oversize input is refused', async () => {
    const signed = await buildResponse(base());
    await refused(signed, 'XML_TOO_LARGE', { limits: { maxSize: 1000 } });
    await refused(toPostBinding(signed), 'XML_TOO_LARGE', { limits: { maxSize: 1000 } });
    const huge = `<samlp:Response xmlns:samlp="${SAMLP}">${' '.repeat(1024 * 1024)}</samlp:Response>`;
    await refused(huge, 'XML_TOO_LARGE');
  });

  it('deeply nested input is refused', async () => {
    const deep = `<samlp:Response xmlns:samlp="${SAMLP}">${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</samlp:Response>`;
    await refused(deep, 'XML_TOO_DEEP');
  });

  it('not base64 and not XML', async () => {
    await refused('%%%not-base64%%%', 'BASE64_INVALID');
  });

  it('a message that is not a Response', async () => {
    await refused(`<samlp:LogoutRequest xmlns:samlp="${SAMLP}"/>`, 'XML_UNEXPECTED_ELEMENT');
  });
});

describe('content checks', () => {
  const EXPIRED: [string, Partial<BuildResponseOptions>][] = [
    ['Conditions NotOnOrAfter', { notOnOrAfter: NOW - 4 * 60_000 }],
    [
      'SubjectConfirmationData NotOnOrAfter',
      { subjectConfirmation: { notOnOrAfter: NOW - 4 * 60_000 } },
    ],
    ['SessionNotOnOrAfter', { sessionNotOnOrAfter: NOW - 4 * 60_000 }],
  ];
  it.each(EXPIRED)('expired (%s)', async (_n, extra) => {
    await refused(await buildResponse(base(extra)), 'EXPIRED');
  });

  it('expired within the clock skew is accepted; skew is configurable', async () => {
    const xml = await buildResponse(base({ notOnOrAfter: NOW - 60_000 }));
    await expect(validateResponse(xml, options())).resolves.toBeDefined();
    await refused(xml, 'EXPIRED', { clockSkewMs: 30_000 });
  });

  it('not yet valid', async () => {
    const xml = await buildResponse(base({ notBefore: NOW + 4 * 60_000 }));
    await refused(xml, 'NOT_YET_VALID');
    await expect(
      validateResponse(xml, options({ clockSkewMs: 5 * 60_000 })),
    ).resolves.toBeDefined();
  });

  it('wrong audience', async () => {
    await refused(
      await buildResponse(base({ audiences: [['https://other.example']] })),
      'AUDIENCE_MISMATCH',
    );
  });

  it('every AudienceRestriction must name the SP', async () => {
    const xml = await buildResponse(base({ audiences: [[SP], ['https://other.example']] }));
    await refused(xml, 'AUDIENCE_MISMATCH');
    const ok = await buildResponse(
      base({
        audiences: [
          [SP, 'https://x'],
          ['https://y', SP],
        ],
      }),
    );
    expect((await validateResponse(ok, options())).conditions.audienceRestrictions).toHaveLength(2);
  });

  it('no AudienceRestriction at all', async () => {
    await refused(await buildResponse(base({ omitConditions: true })), 'AUDIENCE_MISMATCH');
  });

  it('OneTimeUse and ProxyRestriction are understood; unknown conditions are refused', async () => {
    const xml = await buildResponse(
      base({ oneTimeUse: true, proxyRestriction: { count: 0, audiences: ['https://p'] } }),
    );
    const r = await validateResponse(xml, options());
    expect(r.conditions.oneTimeUse).toBe(true);
    expect(r.conditions.proxyRestriction).toEqual({ count: 0, audiences: ['https://p'] });
    const unknown = await buildResponse(base({ sign: 'none' }));
    const withCondition = unknown.replace(
      '</saml:Conditions>',
      '<saml:Condition xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="x:Odd"/></saml:Conditions>',
    );
    await refused(await signAssertion(withCondition), 'XML_UNEXPECTED_ELEMENT');
  });

  it('wrong destination', async () => {
    await refused(
      await buildResponse(base({ destination: 'https://evil.example/acs' })),
      'DESTINATION_MISMATCH',
    );
  });

  it('absent destination is accepted (it is optional on an unsigned Response)', async () => {
    await expect(
      validateResponse(await buildResponse(base({ destination: null })), options()),
    ).resolves.toBeDefined();
  });

  it('a signed Response without Destination is refused (bindings §3.5.5.2)', async () => {
    await refused(
      await buildResponse(base({ sign: 'response', destination: null })),
      'DESTINATION_MISMATCH',
    );
  });

  it('wrong recipient', async () => {
    await refused(
      await buildResponse(base({ subjectConfirmation: { recipient: 'https://evil.example/acs' } })),
      'RECIPIENT_MISMATCH',
    );
  });

  it('wrong issuer (assertion)', async () => {
    await refused(
      await buildResponse(base({ assertionIssuer: 'https://evil.example' })),
      'ISSUER_MISMATCH',
    );
  });

  it('wrong issuer (response)', async () => {
    await refused(
      await buildResponse(base({ responseIssuer: 'https://evil.example' })),
      'ISSUER_MISMATCH',
    );
  });

  it('response and assertion issuers must agree when no entity ID is configured', async () => {
    const xml = await buildResponse(base({ responseIssuer: 'https://evil.example' }));
    await refused(xml, 'ISSUER_MISMATCH', { idp: { signingKeys: [idp.publicKey] } });
  });

  it('wrong InResponseTo', async () => {
    await refused(
      await buildResponse(base({ inResponseTo: '_other-request' })),
      'IN_RESPONSE_TO_MISMATCH',
    );
  });

  it('InResponseTo of the confirmation disagrees with the Response', async () => {
    const xml = await buildResponse(base({ subjectConfirmation: { inResponseTo: '_other' } }));
    await refused(xml, 'IN_RESPONSE_TO_MISMATCH');
  });

  it('a solicited response when no request is outstanding', async () => {
    await refused(await buildResponse(base()), 'IN_RESPONSE_TO_MISMATCH', { inResponseTo: [] });
  });

  it('one of several outstanding requests is accepted', async () => {
    const r = await validateResponse(
      await buildResponse(base()),
      options({ inResponseTo: ['_x', REQ] }),
    );
    expect(r.inResponseTo).toBe(REQ);
  });

  it('unsolicited when disallowed; accepted with allowUnsolicited', async () => {
    const { inResponseTo: _drop, ...rest } = base();
    const xml = await buildResponse(rest);
    await refused(xml, 'UNSOLICITED_RESPONSE');
    await expect(validateResponse(xml, options({ allowUnsolicited: true }))).resolves.toBeDefined();
  });

  it('non-bearer confirmation', async () => {
    const xml = await buildResponse(
      base({ subjectConfirmation: { method: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key' } }),
    );
    await refused(xml, 'SUBJECT_CONFIRMATION_INVALID');
  });

  it('bearer confirmation without NotOnOrAfter', async () => {
    await refused(
      await buildResponse(base({ subjectConfirmation: { notOnOrAfter: null } })),
      'SUBJECT_CONFIRMATION_INVALID',
    );
  });

  it('failed status carries the IdP status codes and message', async () => {
    const xml = await buildResponse(
      base({
        sign: 'none',
        status: {
          code: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
          subCode: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
          message: 'User is not assigned to this application',
        },
      }),
    );
    const err = await validateResponse(xml, options()).catch((e: unknown) => e);
    expect(isSamlError(err, 'STATUS_NOT_SUCCESS')).toBe(true);
    const details = (err as { details: Record<string, unknown> }).details;
    expect(details['statusCodes']).toEqual([
      'urn:oasis:names:tc:SAML:2.0:status:Responder',
      'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
    ]);
    expect(details['statusMessage']).toBe('User is not assigned to this application');
    expect((err as Error).message).toContain('AuthnFailed');
  });

  it('wrong Version', async () => {
    await refused(await buildResponse(base({ version: '1.1' })), 'MESSAGE_VERSION_UNSUPPORTED');
  });

  it('user id from a missing attribute', async () => {
    await refused(await buildResponse(base()), 'USER_ID_MISSING', { userIdAttribute: 'uid' });
  });

  it('missing NameID without userIdAttribute', async () => {
    await refused(await buildResponse(base({ nameId: null })), 'NAMEID_MISSING');
  });

  it('authn context other than expected', async () => {
    await refused(await buildResponse(base()), 'AUTHN_CONTEXT_MISMATCH', {
      expectedAuthnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract'],
    });
  });

  it('plaintext assertion when encryption is required', async () => {
    await refused(await buildResponse(base()), 'ENCRYPTION_REQUIRED', { requireEncryption: true });
  });

  it('encrypted assertion without a decryption key', async () => {
    const xml = await buildResponse(base({ encrypt: encryptAssertionTo(spKeys.publicKey) }));
    await refused(xml, 'DECRYPTION_FAILED');
  });

  it('encrypted assertion with the wrong decryption key', async () => {
    const xml = await buildResponse(base({ encrypt: encryptAssertionTo(spKeys.publicKey) }));
    await refused(xml, 'DECRYPTION_FAILED', { decryptionKeys: [attacker.privateKey] });
  });

  it('encrypted, signed assertion is decrypted and verified', async () => {
    const xml = await buildResponse(base({ encrypt: encryptAssertionTo(spKeys.publicKey) }));
    const r = await validateResponse(
      xml,
      options({
        decryptionKeys: [attacker.privateKey, spKeys.privateKey],
        requireEncryption: true,
      }),
    );
    expect(r.encrypted).toBe(true);
    expect(r.signature.assertion).toBe(true);
    expect(r.userId).toBe('alice@example.com');
  });

  it('encrypted, unsigned assertion in an unsigned Response is refused', async () => {
    const xml = await buildResponse(
      base({ sign: 'none', encrypt: encryptAssertionTo(spKeys.publicKey) }),
    );
    await refused(xml, 'SIGNATURE_MISSING', { decryptionKeys: [spKeys.privateKey] });
  });
});

describe('encrypted identifiers and attributes', () => {
  it('EncryptedID and EncryptedAttribute are decrypted inside a signed assertion', async () => {
    const { encryptElement } = await import('@samlkit/core/xml');
    const { signXml } = await import('@samlkit/core');
    const { DOMParser, XMLSerializer } = await import('@xmldom/xmldom');
    const unsigned = await buildResponse(
      base({
        sign: 'none',
        assertionId: '_enc',
        attributes: [
          { name: 'secret', values: ['s1', 's2'] },
          { name: 'plain', values: ['p'] },
        ],
      }),
    );
    const doc = new DOMParser().parseFromString(unsigned, 'text/xml') as unknown as Document;
    const opts = { dataAlgorithm: 'aes128-cbc', keyTransport: 'rsa-oaep-mgf1p' } as const;
    await encryptElement(first(doc, SAML, 'NameID'), spKeys.publicKey, opts);
    await encryptElement(first(doc, SAML, 'Attribute'), spKeys.publicKey, opts);
    const xml = await signXml(new XMLSerializer().serializeToString(doc as never), {
      key: idp.privateKey,
      id: '_enc',
    });
    expect(xml).toContain('EncryptedID');
    expect(xml).toContain('EncryptedAttribute');
    await refused(xml, 'DECRYPTION_FAILED');
    const r = await validateResponse(xml, options({ decryptionKeys: [spKeys.privateKey] }));
    expect(r.nameId?.value).toBe('alice@example.com');
    expect({ ...r.attributes }).toEqual({ secret: ['s1', 's2'], plain: ['p'] });
  });
});

describe('replay', () => {
  it('a second use of the same assertion is refused', async () => {
    const store = new MemoryStore({ now: () => NOW });
    const xml = await buildResponse(base());
    const r = await validateResponse(xml, options({ replayCache: store }));
    expect(r.replay.key).toBe(`assertion:${IDP}:${r.assertionId}`);
    expect(r.replay.expiresAt).toBeGreaterThan(NOW);
    await refused(xml, 'REPLAY_DETECTED', { replayCache: store });
  });

  it('the cache is consulted only after every other check passed', async () => {
    const keys: string[] = [];
    const cache = {
      rememberOnce: async (key: string) => {
        keys.push(key);
        return true;
      },
    };
    await refused(await buildResponse(base({ audiences: [['https://x']] })), 'AUDIENCE_MISMATCH', {
      replayCache: cache,
    });
    expect(keys).toEqual([]);
  });
});

async function signAssertion(unsignedResponse: string): Promise<string> {
  const { signXml } = await import('@samlkit/core');
  const id = /<saml:Assertion[^>]* ID="([^"]+)"/.exec(unsignedResponse)![1]!;
  return signXml(unsignedResponse, { key: idp.privateKey, id });
}

describe('only signed content decides (an unsigned Response envelope around a signed assertion)', () => {
  // The assertion is signed; the Response around it is not, so an attacker may edit it freely.
  const idpInitiated = () =>
    buildResponse(base({ sign: 'assertion', subjectConfirmation: { inResponseTo: null } }));

  it('an IdP-initiated assertion wrapped in an envelope naming the pending request is UNSOLICITED_RESPONSE', async () => {
    const xml = await idpInitiated();
    // The envelope claims to answer REQ (the victim's or attacker's pending login) …
    expect(xml).toMatch(/<samlp:Response[^>]* InResponseTo="_request-1"/);
    // … but the signed part names no request: unsolicited, whatever the envelope says.
    await refused(xml, 'UNSOLICITED_RESPONSE');
  });

  it('with allowUnsolicited it is accepted as unsolicited: inResponseTo is absent', async () => {
    const r = await validateResponse(await idpInitiated(), options({ allowUnsolicited: true }));
    expect(r.inResponseTo).toBeUndefined();
    expect(r.subjectConfirmation.inResponseTo).toBeUndefined();
  });

  it('a signed Response binds an assertion whose confirmation names no request', async () => {
    const xml = await buildResponse(
      base({ sign: 'response', subjectConfirmation: { inResponseTo: null } }),
    );
    const r = await validateResponse(xml, options());
    expect(r.inResponseTo).toBe(REQ);
  });

  it('the signed confirmation binds the login even when the envelope names no request', async () => {
    const xml = editXml(await buildResponse(base({ sign: 'assertion' })), (doc) =>
      doc.documentElement.removeAttribute('InResponseTo'),
    );
    const r = await validateResponse(xml, options());
    expect(r.inResponseTo).toBe(REQ);
  });

  it('an unsigned envelope may still cause a refusal: another InResponseTo, Destination, Issuer or Status', async () => {
    const signed = await buildResponse(base({ sign: 'assertion' }));
    const edit = (f: (root: Element) => void) => editXml(signed, (doc) => f(doc.documentElement));
    await refused(
      edit((r) => r.setAttribute('InResponseTo', '_other')),
      'IN_RESPONSE_TO_MISMATCH',
      { inResponseTo: [REQ, '_other'] },
    );
    await refused(
      edit((r) => r.setAttribute('InResponseTo', '_unknown')),
      'IN_RESPONSE_TO_MISMATCH',
    );
    await refused(
      edit((r) => r.setAttribute('Destination', 'https://evil.example/acs')),
      'DESTINATION_MISMATCH',
    );
    await refused(
      edit((r) => {
        first(r.ownerDocument, SAML, 'Issuer').textContent = 'https://evil.example/idp';
      }),
      'ISSUER_MISMATCH',
    );
    await refused(
      edit((r) =>
        first(r.ownerDocument, SAMLP, 'StatusCode').setAttribute(
          'Value',
          'urn:oasis:names:tc:SAML:2.0:status:Responder',
        ),
      ),
      'STATUS_NOT_SUCCESS',
    );
  });

  it('an unsigned envelope naming a request cannot turn a confirmation for another request into this one', async () => {
    const xml = await buildResponse(
      base({ sign: 'assertion', subjectConfirmation: { inResponseTo: '_request-other' } }),
    );
    await refused(xml, 'IN_RESPONSE_TO_MISMATCH', { inResponseTo: [REQ, '_request-other'] });
  });
});

describe('the Web SSO profile', () => {
  it('an assertion without AuthnStatement is no login (AUTHN_STATEMENT_MISSING)', async () => {
    const keys: string[] = [];
    const cache = {
      rememberOnce: async (key: string) => {
        keys.push(key);
        return true;
      },
    };
    await refused(
      await buildResponse(base({ omitAuthnStatement: true })),
      'AUTHN_STATEMENT_MISSING',
      { replayCache: cache },
    );
    await refused(
      await buildResponse(base({ omitAuthnStatement: true, sign: 'response' })),
      'AUTHN_STATEMENT_MISSING',
    );
    expect(keys).toEqual([]);
  });
});

describe('lookups keyed by message values are own-property only', () => {
  const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
  const SHORT = ['rsa-sha256', 'rsa-sha1', 'ecdsa-sha256', 'sha256', 'sha1'];

  async function code(xml: string, opts: Partial<ValidateResponseOptions> = {}): Promise<string> {
    try {
      await validateResponse(xml, options(opts));
    } catch (err) {
      if (isSamlError(err)) return err.code;
      throw err;
    }
    return 'ACCEPTED';
  }

  it.each([...NAMES, ...SHORT])(
    'SignatureMethod %s is SIGNATURE_ALGORITHM_UNSUPPORTED',
    async (v) => {
      for (const sign of ['assertion', 'response'] as const) {
        const xml = editXml(await buildResponse(base({ sign })), (doc) =>
          first(doc, DS, 'SignatureMethod').setAttribute('Algorithm', v),
        );
        expect(await code(xml)).toBe('SIGNATURE_ALGORITHM_UNSUPPORTED');
      }
    },
  );

  it.each([...NAMES, ...SHORT])('DigestMethod %s is SIGNATURE_ALGORITHM_UNSUPPORTED', async (v) => {
    const xml = editXml(await buildResponse(base()), (doc) =>
      first(doc, DS, 'DigestMethod').setAttribute('Algorithm', v),
    );
    expect(await code(xml)).toBe('SIGNATURE_ALGORITHM_UNSUPPORTED');
  });

  it.each(NAMES)('EncryptionMethod %s is ENCRYPTION_ALGORITHM_UNSUPPORTED', async (v) => {
    const encrypted = await buildResponse(base({ encrypt: encryptAssertionTo(spKeys.publicKey) }));
    for (const which of [0, 1]) {
      const xml = editXml(encrypted, (doc) => {
        const methods = doc.getElementsByTagNameNS(
          'http://www.w3.org/2001/04/xmlenc#',
          'EncryptionMethod',
        );
        methods[which]!.setAttribute('Algorithm', v);
      });
      expect(await code(xml, { decryptionKeys: [spKeys.privateKey] })).toBe(
        'ENCRYPTION_ALGORITHM_UNSUPPORTED',
      );
    }
  });

  it.each(NAMES)('StatusCode %s is STATUS_NOT_SUCCESS', async (v) => {
    const xml = await buildResponse(base({ status: { code: v } }));
    expect(await code(xml)).toBe('STATUS_NOT_SUCCESS');
  });

  it.each(NAMES)('NameID Format %s comes back as given', async (v) => {
    const r = await validateResponse(
      await buildResponse(base({ nameId: { value: 'alice@example.com', format: v } })),
      options(),
    );
    expect(r.nameId?.format).toBe(v);
  });

  it.each(NAMES)('an attribute named %s is an ordinary attribute', async (v) => {
    const xml = await buildResponse(
      base({
        attributes: [
          { name: v, values: ['a', 'b'] },
          { name: 'mail', values: ['alice@example.com'] },
        ],
      }),
    );
    const r = await validateResponse(xml, options());
    expect(Object.hasOwn(r.attributes, v)).toBe(true);
    expect(r.attributes[v]).toEqual(['a', 'b']);
    expect(Object.keys(r.attributes).sort()).toEqual([v, 'mail'].sort());
    expect(Object.getPrototypeOf(r.attributes)).toBeNull();
    const byName = await validateResponse(xml, options({ userIdAttribute: v }));
    expect(byName.userId).toBe('a');
  });

  it.each(NAMES)('userIdAttribute %s that the assertion lacks is USER_ID_MISSING', async (v) => {
    expect(await code(await buildResponse(base()), { userIdAttribute: v })).toBe('USER_ID_MISSING');
  });
});
