import { isSamlError, type ValidateResponseOptions, validateResponse } from '@samlkit/core';
import {
  type BuildResponseOptions,
  buildResponse,
  editXml,
  generateTestKeys,
  type TestAttribute,
  type TestKeys,
  toPostBinding,
} from '@samlkit/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const IDP = 'https://idp.example.org/saml';
const SP = 'https://sp.example.com/saml/metadata';
const ACS = 'https://sp.example.com/saml/acs';
const NOW = Date.UTC(2031, 4, 6, 12, 0, 0);

let idp: TestKeys;
beforeAll(async () => {
  idp = await generateTestKeys();
});

function options(extra: Partial<ValidateResponseOptions> = {}): ValidateResponseOptions {
  return {
    sp: { entityId: SP, acsUrl: ACS },
    idp: { entityId: IDP, signingKeys: [idp.publicKey] },
    now: NOW,
    inResponseTo: '_req',
    ...extra,
  };
}

// Text XML 1.0 can carry (§2.2 Char): no C0 controls but tab/newline, no U+FFFE/FFFF. U+0085,
// U+2028, U+2029 and U+FFFD are included on purpose: the builders write them as character
// references, which the parser keeps (written literally, it would rewrite the first three).
const NOT_ROUND_TRIPPED = new Set([0xfffe, 0xffff]);
function roundTrips(c: string): boolean {
  for (const ch of c) {
    const cp = ch.codePointAt(0)!;
    if ((cp < 0x20 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0d) || NOT_ROUND_TRIPPED.has(cp)) {
      return false;
    }
  }
  return true;
}
const xmlChar = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter(roundTrips);
const xmlText = fc.array(xmlChar, { maxLength: 24 }).map((cs) => cs.join(''));
// NameID and identifiers are compared after trimming: generate them without outer whitespace.
const token = fc
  .array(xmlChar, { minLength: 1, maxLength: 24 })
  .map((cs) => cs.join('').trim())
  .filter((s) => s.length > 0);
const uri = fc.webUrl();

const attribute: fc.Arbitrary<TestAttribute> = fc.record(
  {
    name: token,
    friendlyName: token,
    nameFormat: fc.constantFrom(
      'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
      'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    ),
    values: fc.array(xmlText, { maxLength: 4 }),
    valueType: fc.constantFrom('xs:string', 'xs:anyURI', null),
  },
  { requiredKeys: ['name', 'values'] },
);

const content = fc.record({
  nameId: fc.record(
    {
      value: token,
      format: fc.constantFrom(
        'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
      ),
      nameQualifier: token,
      spNameQualifier: token,
    },
    { requiredKeys: ['value'] },
  ),
  sessionIndex: token,
  attributes: fc.array(attribute, { maxLength: 5 }),
  extraAudiences: fc.array(uri, { maxLength: 3 }),
  authnContextClassRef: uri,
  sign: fc.constantFrom('assertion' as const, 'response' as const, 'both' as const),
  algorithm: fc.constantFrom('rsa-sha256' as const, 'rsa-sha384' as const, 'rsa-sha512' as const),
  digest: fc.constantFrom('sha256' as const, 'sha384' as const, 'sha512' as const),
});

describe('validateResponse returns exactly what the IdP asserted', () => {
  it('for arbitrary valid assertions', async () => {
    await fc.assert(
      fc.asyncProperty(content, async (c) => {
        const build: BuildResponseOptions = {
          idpEntityId: IDP,
          spEntityId: SP,
          acsUrl: ACS,
          now: NOW,
          inResponseTo: '_req',
          signingKey: idp,
          nameId: c.nameId,
          sessionIndex: c.sessionIndex,
          attributes: c.attributes,
          audiences: [[...c.extraAudiences, SP]],
          authnContextClassRef: c.authnContextClassRef,
          sign: c.sign,
          algorithm: c.algorithm,
          digest: c.digest,
        };
        const xml = await buildResponse(build);
        const r = await validateResponse(toPostBinding(xml), options());
        expect(r.nameId).toEqual(c.nameId);
        expect(r.userId).toBe(c.nameId.value);
        expect(r.issuer).toBe(IDP);
        expect(r.sessionIndex).toBe(c.sessionIndex);
        expect(r.authn?.authnContextClassRef).toBe(c.authnContextClassRef);
        expect(r.attributeList).toEqual(
          c.attributes.map((a) => ({
            name: a.name,
            ...(a.nameFormat !== undefined ? { nameFormat: a.nameFormat } : {}),
            ...(a.friendlyName !== undefined ? { friendlyName: a.friendlyName } : {}),
            values: a.values,
          })),
        );
        const byName: Record<string, string[]> = {};
        for (const a of c.attributes) byName[a.name] = [...(byName[a.name] ?? []), ...a.values];
        expect({ ...r.attributes }).toEqual(byName);
        expect(r.conditions.audienceRestrictions).toEqual([[...c.extraAudiences, SP]]);
      }),
      { numRuns: 40 },
    );
  });
});

type Mutation =
  | { kind: 'text'; target: number; text: string }
  | { kind: 'attribute'; target: number; name: string; value: string }
  | { kind: 'move'; target: number; to: number }
  | { kind: 'duplicate'; target: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), target: fc.nat(), text: xmlText }),
  fc.record({
    kind: fc.constant('attribute' as const),
    target: fc.nat(),
    name: fc.constantFrom('ID', 'Format', 'Recipient', 'NotOnOrAfter', 'Name', 'Extra', 'Method'),
    value: xmlText,
  }),
  fc.record({ kind: fc.constant('move' as const), target: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), target: fc.nat() }),
);

/** Elements of the signed assertion outside its ds:Signature (the content the signature covers). */
function signedElements(assertion: Element): Element[] {
  const out: Element[] = [];
  const stack: Element[] = [assertion];
  while (stack.length) {
    const el = stack.pop()!;
    if (el.namespaceURI === DS && el.localName === 'Signature') continue;
    out.push(el);
    for (let c = el.lastChild; c; c = c.previousSibling)
      if (c.nodeType === 1) stack.push(c as Element);
  }
  return out;
}

/** Applies the mutation; returns false when it would not change the document. */
function mutate(doc: Document, m: Mutation): boolean {
  const assertion = doc.getElementsByTagNameNS(SAML, 'Assertion')[0]!;
  const els = signedElements(assertion);
  const target = els[m.target % els.length]!;
  switch (m.kind) {
    case 'text': {
      if (target === assertion) return false;
      const before = target.textContent;
      const hasElements = Array.from(target.childNodes as unknown as Node[]).some(
        (n) => n.nodeType === 1,
      );
      if (hasElements || before === m.text) return false;
      while (target.firstChild) target.removeChild(target.firstChild);
      if (m.text !== '') target.appendChild(doc.createTextNode(m.text));
      return true;
    }
    case 'attribute': {
      if (target.getAttribute(m.name) === m.value && target.hasAttribute(m.name)) return false;
      target.setAttribute(m.name, m.value);
      return true;
    }
    case 'move': {
      if (target === assertion) return false;
      const dest = els[m.to % els.length]!;
      if (dest === target || target.contains(dest) || dest === target.parentNode) return false;
      dest.appendChild(target);
      return true;
    }
    case 'duplicate': {
      if (target === assertion) return false;
      target.parentNode!.insertBefore(target.cloneNode(true), target);
      return true;
    }
  }
}

describe('any single change to signed content is refused', () => {
  it('for arbitrary text, attribute, move and duplicate mutations', async () => {
    const signed = {
      assertion: await buildResponse({
        idpEntityId: IDP,
        spEntityId: SP,
        acsUrl: ACS,
        now: NOW,
        inResponseTo: '_req',
        signingKey: idp,
        attributes: [{ name: 'role', values: ['admin', 'user'] }],
        sign: 'assertion',
      }),
      both: await buildResponse({
        idpEntityId: IDP,
        spEntityId: SP,
        acsUrl: ACS,
        now: NOW,
        inResponseTo: '_req',
        signingKey: idp,
        attributes: [{ name: 'role', values: ['admin', 'user'] }],
        sign: 'both',
      }),
    };
    await expect(validateResponse(signed.assertion, options())).resolves.toBeDefined();
    await expect(validateResponse(signed.both, options())).resolves.toBeDefined();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('assertion' as const, 'both' as const),
        mutation,
        async (which, m) => {
          let changed = false;
          const xml = editXml(signed[which], (doc) => {
            changed = mutate(doc, m);
          });
          fc.pre(changed);
          const err = await validateResponse(xml, options()).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, `accepted after ${JSON.stringify(m)}`).toBeDefined();
          expect(isSamlError(err), String(err)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('no input makes validateResponse throw anything but a SamlError', () => {
  it('arbitrary strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (s) => {
        const err = await validateResponse(s, options()).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isSamlError(err), String(err)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('truncations and splices of a signed Response, as XML and base64', async () => {
    const xml = await buildResponse({
      idpEntityId: IDP,
      spEntityId: SP,
      acsUrl: ACS,
      now: NOW,
      inResponseTo: '_req',
      signingKey: idp,
      sign: 'both',
    });
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: xml.length }),
        fc.nat({ max: xml.length }),
        fc.string({ maxLength: 20 }),
        fc.boolean(),
        async (a, b, insert, base64) => {
          const [from, to] = a <= b ? [a, b] : [b, a];
          const mangled = xml.slice(0, from) + insert + xml.slice(to);
          fc.pre(mangled !== xml);
          const input = base64 ? toPostBinding(mangled) : mangled;
          const err = await validateResponse(input, options()).then(
            () => undefined,
            (e: unknown) => e,
          );
          // A splice can leave a valid document only by not touching signed content
          // (e.g. whitespace between elements of the unsigned Response is not there: signed 'both').
          if (err !== undefined) expect(isSamlError(err), String(err)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
