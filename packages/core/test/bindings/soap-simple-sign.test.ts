import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createSoapEnvelope,
  createSoapFault,
  decodeSimpleSign,
  encodeSimpleSign,
  parseSoapEnvelope,
  postSoapMessage,
  SOAP_CONTENT_TYPE,
  validateResponse,
  verifySimpleSignSignature,
} from '@samlkit/core';
import { buildResponse, generateTestKeys, type TestKeys } from '@samlkit/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode } from '../logout/support.js';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
/** The test peer serves plain http on 127.0.0.1; production endpoints must be https. */
const DEV = { allowInsecureHttpForDevelopment: true } as const;
const MESSAGE = '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a"/>';

let keys: TestKeys;
let other: TestKeys;
let server: Server;
let base: string;
const seen: { contentType: string | undefined; soapAction?: string; body: string }[] = [];

beforeAll(async () => {
  [keys, other] = await Promise.all([generateTestKeys(), generateTestKeys({ alg: 'p256' })]);
  server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    seen.push({
      contentType: req.headers['content-type'],
      soapAction: req.headers.soapaction as string,
      body,
    });
    const route = req.url ?? '/';
    if (route === '/echo') {
      res.writeHead(200, { 'content-type': SOAP_CONTENT_TYPE });
      res.end(body);
    } else if (route === '/fault') {
      res.writeHead(500, { 'content-type': SOAP_CONTENT_TYPE });
      res.end(createSoapFault({ code: 'Client', message: 'bad <request> & more' }));
    } else if (route === '/big' || route === '/big-chunked') {
      const big = createSoapEnvelope(`<x:Big xmlns:x="urn:x">${'a'.repeat(50_000)}</x:Big>`);
      if (route === '/big')
        res.writeHead(200, {
          'content-type': SOAP_CONTENT_TYPE,
          'content-length': Buffer.byteLength(big),
        });
      else res.writeHead(200, { 'content-type': SOAP_CONTENT_TYPE });
      if (route === '/big') res.end(big);
      else {
        for (let i = 0; i < big.length; i += 1000) res.write(big.slice(i, i + 1000));
        res.end();
      }
    } else if (route === '/html') {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad gateway</body></html>');
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('not xml at all');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('SOAP envelope', () => {
  it('wraps and unwraps a message (XML declaration dropped)', () => {
    const env = createSoapEnvelope(`<?xml version="1.0" encoding="UTF-8"?>\n${MESSAGE}`);
    const { message } = parseSoapEnvelope(env);
    expect(message.localName).toBe('LogoutRequest');
    expect(message.getAttribute('ID')).toBe('_a');
  });

  it('reports faults with code and string', async () => {
    let caught: unknown;
    try {
      parseSoapEnvelope(createSoapFault({ code: 'Server', message: 'down' }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({
      code: 'SOAP_FAULT',
      details: { faultCode: 'soap-env:Server', faultString: 'down' },
    });
  });

  it('refuses SOAP 1.2, empty or crowded bodies, and must-understand headers', async () => {
    const v12 = `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>${MESSAGE}</e:Body></e:Envelope>`;
    expect(() => parseSoapEnvelope(v12)).toThrow(/SOAP 1.1/);
    const empty = `<s:Envelope xmlns:s="${SOAP}"><s:Body/></s:Envelope>`;
    expect(() => parseSoapEnvelope(empty)).toThrow(/exactly one/);
    const two = `<s:Envelope xmlns:s="${SOAP}"><s:Body>${MESSAGE}${MESSAGE}</s:Body></s:Envelope>`;
    expect(() => parseSoapEnvelope(two)).toThrow(/exactly one/);
    const header = `<s:Envelope xmlns:s="${SOAP}"><s:Header><x:H xmlns:x="urn:x" s:mustUnderstand="1"/></s:Header><s:Body>${MESSAGE}</s:Body></s:Envelope>`;
    expect(() => parseSoapEnvelope(header)).toThrow(/must understand/);
    const optional = header.replace(' s:mustUnderstand="1"', '');
    expect(parseSoapEnvelope(optional).message.localName).toBe('LogoutRequest');
    const noBody = `<s:Envelope xmlns:s="${SOAP}"/>`;
    expect(() => parseSoapEnvelope(noBody)).toThrow(/no Body/);
  });
});

describe('postSoapMessage', () => {
  it('POSTs text/xml with SOAPAction and returns the answer message', async () => {
    const { message } = await postSoapMessage(`${base}/echo`, MESSAGE, DEV);
    expect(message.getAttribute('ID')).toBe('_a');
    const last = seen.at(-1)!;
    expect(last.contentType).toBe(SOAP_CONTENT_TYPE);
    expect(last.soapAction).toBe('"http://www.oasis-open.org/committees/security"');
    expect(parseSoapEnvelope(last.body).message.localName).toBe('LogoutRequest');
  });

  it('turns an HTTP 500 with a fault into SOAP_FAULT, other errors into HTTP_REQUEST_FAILED', async () => {
    let caught: unknown;
    try {
      await postSoapMessage(`${base}/fault`, MESSAGE, DEV);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({
      code: 'SOAP_FAULT',
      details: { faultString: 'bad <request> & more', httpStatus: 500 },
    });
    let caught2: unknown;
    try {
      await postSoapMessage(`${base}/html`, MESSAGE, DEV);
    } catch (err) {
      caught2 = err;
    }
    expect(caught2).toMatchObject({ code: 'HTTP_REQUEST_FAILED', details: { httpStatus: 502 } });
    await expectCode(postSoapMessage(`${base}/text`, MESSAGE, DEV), 'XML_PARSE_ERROR');
  });

  it('stops reading an answer larger than the limit, announced or not', async () => {
    // Refused while reading (not after buffering it all): the error names the byte cap.
    for (const [route, found] of [
      ['big', /^Content-Length \d+$/],
      ['big-chunked', /^more than 8000 bytes$/],
    ] as const) {
      let caught: unknown;
      try {
        await postSoapMessage(`${base}/${route}`, MESSAGE, { ...DEV, limits: { maxSize: 2000 } });
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code: 'XML_TOO_LARGE' });
      expect((caught as { details: { found: string } }).details.found).toMatch(found);
    }
    const { message } = await postSoapMessage(`${base}/big-chunked`, MESSAGE, DEV);
    expect(message.localName).toBe('Big');
  });

  it('uses the injected fetch', async () => {
    const calls: string[] = [];
    const fake: typeof fetch = async (url) => {
      calls.push(String(url));
      return new Response(createSoapEnvelope(MESSAGE), { status: 200 });
    };
    await postSoapMessage('https://idp.invalid/ars', MESSAGE, { fetch: fake });
    expect(calls).toEqual(['https://idp.invalid/ars']);
  });
});

describe('HTTP-POST-SimpleSign', () => {
  const xml =
    '<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r">é</samlp:LogoutResponse>';

  it('round-trips: any RelayState, RSA and EC keys', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
        fc.boolean(),
        async (relayState, ec) => {
          const k = ec ? other : keys;
          const form = await encodeSimpleSign({
            type: 'SAMLResponse',
            xml,
            sign: { key: k.privateKey },
            ...(relayState !== undefined ? { relayState } : {}),
          });
          const decoded = decodeSimpleSign(form);
          expect(decoded.xml).toBe(xml);
          expect(decoded.relayState).toBe(relayState);
          expect(
            await verifySimpleSignSignature(decoded, { keys: [keys.publicKey, other.publicKey] }),
          ).toBe(k.publicKey);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('signs the raw XML: base64 line breaks added by a browser do not matter', async () => {
    const form = await encodeSimpleSign({
      type: 'SAMLResponse',
      xml,
      relayState: 'r',
      sign: { key: keys.privateKey },
    });
    const wrapped = { ...form, SAMLResponse: form.SAMLResponse!.replace(/(.{20})/g, '$1\r\n') };
    await verifySimpleSignSignature(decodeSimpleSign(wrapped), { keys: [keys.publicKey] });
  });

  it('refuses tampered fields, unknown keys, and unsigned forms', async () => {
    const form = await encodeSimpleSign({
      type: 'SAMLResponse',
      xml,
      relayState: 'r',
      sign: { key: keys.privateKey },
    });
    await expectCode(
      verifySimpleSignSignature(decodeSimpleSign({ ...form, RelayState: 's' }), {
        keys: [keys.publicKey],
      }),
      'SIGNATURE_INVALID',
    );
    const otherXml = btoa(
      String.fromCharCode(...new TextEncoder().encode(xml.replace('_r', '_q'))),
    );
    await expectCode(
      verifySimpleSignSignature(decodeSimpleSign({ ...form, SAMLResponse: otherXml }), {
        keys: [keys.publicKey],
      }),
      'SIGNATURE_INVALID',
    );
    // A KeyInfo field is never trusted.
    await expectCode(
      verifySimpleSignSignature(decodeSimpleSign({ ...form, KeyInfo: 'anything' }), {
        keys: [other.publicKey],
      }),
      'SIGNATURE_KEY_UNTRUSTED',
    );
    await expectCode(
      verifySimpleSignSignature(decodeSimpleSign({ SAMLResponse: form.SAMLResponse }), {
        keys: [keys.publicKey],
      }),
      'SIGNATURE_MISSING',
    );
    expect(() =>
      decodeSimpleSign({ SAMLResponse: form.SAMLResponse, SigAlg: form.SigAlg }),
    ).toThrow(/without a signature/);
    expect(() =>
      decodeSimpleSign({ SAMLResponse: form.SAMLResponse, SAMLRequest: form.SAMLResponse }),
    ).toThrow(/exactly one/);
  });
});

describe('HTTP-POST-SimpleSign at the ACS', () => {
  it('a SimpleSign-posted Response is checked by its form signature, then validated as if POSTed', async () => {
    const now = Date.UTC(2031, 4, 6, 12);
    const acs = 'https://sp.example/acs';
    const xml = await buildResponse({
      idpEntityId: 'https://idp.example',
      spEntityId: 'https://sp.example',
      acsUrl: acs,
      now,
      signingKey: keys,
      sign: 'assertion',
    });
    const form = await encodeSimpleSign({
      type: 'SAMLResponse',
      xml,
      relayState: 'r1',
      sign: { key: keys.privateKey },
    });
    const decoded = decodeSimpleSign(form);
    await verifySimpleSignSignature(decoded, { keys: [keys.publicKey] });
    const result = await validateResponse(decoded.xml, {
      sp: { entityId: 'https://sp.example', acsUrl: acs },
      idp: { entityId: 'https://idp.example', signingKeys: [keys.publicKey] },
      now,
      allowUnsolicited: true,
    });
    expect(result.issuer).toBe('https://idp.example');
    await expectCode(
      verifySimpleSignSignature(decodeSimpleSign({ ...form, RelayState: 'r2' }), {
        keys: [keys.publicKey],
      }),
      'SIGNATURE_INVALID',
    );
  });
});
