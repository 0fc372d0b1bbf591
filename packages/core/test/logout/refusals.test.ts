import {
  createLogoutRequest,
  createLogoutResponse,
  createSoapFault,
  encodeRedirect,
  type LogoutRequestOptions,
  type LogoutValidationOptions,
  MemoryStore,
  parseLogoutRequest,
  SamlError,
  signXml,
  takePendingLogout,
  validateLogoutRequest,
  validateLogoutResponse,
} from '@samlkit/core';
import { generateTestKeys, type TestKeys } from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { deliver, expectCode, IDP, NOW, SLO, SP } from './support.js';

let idp: TestKeys;
let attacker: TestKeys;
let spKeys: TestKeys;

beforeAll(async () => {
  [idp, attacker, spKeys] = await Promise.all([
    generateTestKeys({ subject: 'idp' }),
    generateTestKeys({ subject: 'attacker' }),
    generateTestKeys({ subject: 'sp' }),
  ]);
});

function options(extra: Partial<LogoutValidationOptions> = {}): LogoutValidationOptions {
  return {
    sp: { singleLogoutServices: [{ binding: 'redirect', location: SLO }] },
    idp: { entityId: IDP, signingKeys: [idp.publicKey] },
    now: NOW,
    ...extra,
  };
}

/** Options over the baseline; a key given as `undefined` drops the baseline's value. */
type Overrides = { [K in keyof LogoutRequestOptions]?: LogoutRequestOptions[K] | undefined };

async function request(extra: Overrides = {}): Promise<string> {
  const merged = {
    issuer: IDP,
    destination: SLO,
    nameId: {
      value: 'alice@example.com',
      format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    },
    sessionIndexes: ['_s1'],
    now: NOW - 1000,
    notOnOrAfter: NOW + 60_000,
    ...extra,
  };
  const options = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
  const { xml } = await createLogoutRequest(options as unknown as LogoutRequestOptions);
  return xml;
}

describe('LogoutRequest refusals', () => {
  it('accepts the baseline (so the refusals below are about one change each)', async () => {
    for (const binding of ['redirect', 'post', 'simpleSign', 'soap'] as const) {
      const input = await deliver(binding, 'SAMLRequest', await request(), idp.privateKey);
      const result = await validateLogoutRequest(input, options());
      expect(result.nameId.value).toBe('alice@example.com');
    }
  });

  it('refuses a message signed by a key that is not the IdP’s, on every binding', async () => {
    for (const binding of ['redirect', 'post', 'simpleSign', 'soap'] as const) {
      const input = await deliver(binding, 'SAMLRequest', await request(), attacker.privateKey);
      await expectCode(validateLogoutRequest(input, options()), 'SIGNATURE_INVALID');
    }
  });

  it('refuses a wrong issuer even when the IdP key signed it', async () => {
    const input = await deliver(
      'post',
      'SAMLRequest',
      await request({ issuer: 'https://other-idp.example' }),
      idp.privateKey,
    );
    await expectCode(validateLogoutRequest(input, options()), 'ISSUER_MISMATCH');
  });

  it('refuses a wrong destination', async () => {
    const input = await deliver(
      'redirect',
      'SAMLRequest',
      await request({ destination: 'https://other-sp.example/slo' }),
      idp.privateKey,
    );
    await expectCode(validateLogoutRequest(input, options()), 'DESTINATION_MISMATCH');
  });

  it('requires a Destination on a signed front-channel message, not on SOAP', async () => {
    const xml = await request({ destination: undefined });
    await expectCode(
      validateLogoutRequest(
        await deliver('redirect', 'SAMLRequest', xml, idp.privateKey),
        options(),
      ),
      'DESTINATION_MISMATCH',
    );
    const soap = await validateLogoutRequest(
      await deliver('soap', 'SAMLRequest', xml, idp.privateKey),
      options(),
    );
    expect(soap.destination).toBeUndefined();
  });

  it('refuses an expired NotOnOrAfter (after the clock skew) and accepts it within the skew', async () => {
    const xml = await request({ notOnOrAfter: NOW - 10_000 });
    const input = await deliver('redirect', 'SAMLRequest', xml, idp.privateKey);
    await expectCode(validateLogoutRequest(input, options({ clockSkewMs: 5_000 })), 'EXPIRED');
    await validateLogoutRequest(input, options({ clockSkewMs: 20_000 }));
  });

  it('refuses an IssueInstant too old or in the future', async () => {
    const old = await deliver(
      'redirect',
      'SAMLRequest',
      await request({ now: NOW - 20 * 60_000, notOnOrAfter: undefined }),
      idp.privateKey,
    );
    await expectCode(validateLogoutRequest(old, options()), 'EXPIRED');
    const future = await deliver(
      'redirect',
      'SAMLRequest',
      await request({ now: NOW + 10 * 60_000 }),
      idp.privateKey,
    );
    await expectCode(validateLogoutRequest(future, options()), 'NOT_YET_VALID');
  });

  it('refuses a replayed LogoutRequest through the store’s rememberOnce', async () => {
    const store = new MemoryStore();
    const input = await deliver('post', 'SAMLRequest', await request(), idp.privateKey);
    const first = await validateLogoutRequest(input, { ...options(), replayCache: store });
    expect(first.replay.key).toBe(`logout-request:${IDP}:${first.id}`);
    expect(first.replay.expiresAt).toBe(NOW + 60_000 + 180_000);
    await expectCode(
      validateLogoutRequest(input, { ...options(), replayCache: store }),
      'REPLAY_DETECTED',
    );
  });

  it('refuses a tampered signed query string', async () => {
    const url = await encodeRedirect({
      destination: SLO,
      type: 'SAMLRequest',
      xml: await request(),
      relayState: 'abc',
      sign: { key: idp.privateKey },
    });
    await validateLogoutRequest({ binding: 'redirect', query: url }, options());
    const tamperedRelay = url.replace('RelayState=abc', 'RelayState=abd');
    await expectCode(
      validateLogoutRequest({ binding: 'redirect', query: tamperedRelay }, options()),
      'SIGNATURE_INVALID',
    );
    // Swap in another (unsigned) message under the original signature.
    const other = await encodeRedirect({
      destination: SLO,
      type: 'SAMLRequest',
      xml: await request({ nameId: { value: 'bob@example.com' } }),
      relayState: 'abc',
    });
    const otherMessage = new URL(other).searchParams.get('SAMLRequest')!;
    const swapped = url.replace(
      /SAMLRequest=[^&]+/,
      `SAMLRequest=${encodeURIComponent(otherMessage)}`,
    );
    await expectCode(
      validateLogoutRequest({ binding: 'redirect', query: swapped }, options()),
      'SIGNATURE_INVALID',
    );
  });

  it('refuses a tampered signed POST body', async () => {
    const signed = await signXml(await request(), { key: idp.privateKey });
    const tampered = signed.replace('alice@example.com', 'bob@example.com');
    const form = { SAMLRequest: btoa(tampered) };
    await expectCode(
      validateLogoutRequest({ binding: 'post', form }, options()),
      'SIGNATURE_DIGEST_MISMATCH',
    );
  });

  it('refuses SHA-1 unless allowSha1', async () => {
    const url = await encodeRedirect({
      destination: SLO,
      type: 'SAMLRequest',
      xml: await request(),
      sign: { key: idp.privateKey, algorithm: 'rsa-sha1' },
    });
    await expectCode(
      validateLogoutRequest({ binding: 'redirect', query: url }, options()),
      'SIGNATURE_ALGORITHM_FORBIDDEN',
    );
    await validateLogoutRequest({ binding: 'redirect', query: url }, options({ allowSha1: true }));
  });

  it('refuses a LogoutResponse delivered to the request validator', async () => {
    const { xml } = createLogoutResponse({
      issuer: IDP,
      destination: SLO,
      inResponseTo: '_x',
      now: NOW,
    });
    const input = await deliver('redirect', 'SAMLResponse', xml, idp.privateKey);
    await expectCode(validateLogoutRequest(input, options()), 'BINDING_INVALID');
    const soap = await deliver('soap', 'SAMLResponse', xml, idp.privateKey);
    await expectCode(validateLogoutRequest(soap, options()), 'XML_UNEXPECTED_ELEMENT');
  });

  it('reports a SOAP fault posted to the back-channel endpoint', async () => {
    const body = createSoapFault({ code: 'Client', message: 'nope' });
    await expectCode(validateLogoutRequest({ binding: 'soap', body }, options()), 'SOAP_FAULT');
  });

  it('requires an SLO endpoint in the SP configuration', async () => {
    const input = await deliver('redirect', 'SAMLRequest', await request(), idp.privateKey);
    await expectCode(validateLogoutRequest(input, options({ sp: {} })), 'CONFIG_INVALID');
  });

  it('decrypts an EncryptedID with the SP keys, and says so when it has none', async () => {
    const xml = await request({ encryptNameId: { key: spKeys.publicKey } });
    expect(xml).toContain('EncryptedID');
    expect(xml).not.toContain('alice@example.com');
    expect(parseLogoutRequest(xml).encryptedId).toBe(true);
    const input = await deliver('post', 'SAMLRequest', xml, idp.privateKey);
    const sp = {
      singleLogoutServices: [{ binding: 'post' as const, location: SLO }],
      decryptionKeys: [{ privateKey: spKeys.privateKey, certificate: spKeys.certificatePem }],
    };
    const result = await validateLogoutRequest(input, options({ sp }));
    expect(result.encryptedId).toBe(true);
    expect(result.nameId.value).toBe('alice@example.com');
    await expectCode(validateLogoutRequest(input, options()), 'DECRYPTION_FAILED');
    const wrongKey = {
      ...sp,
      decryptionKeys: [{ privateKey: attacker.privateKey, certificate: attacker.certificatePem }],
    };
    await expectCode(validateLogoutRequest(input, options({ sp: wrongKey })), 'DECRYPTION_FAILED');
    // The same DecryptionKey type as validateResponse: a bare private key works too.
    const bare = { ...sp, decryptionKeys: [spKeys.privateKey] };
    expect((await validateLogoutRequest(input, options({ sp: bare }))).nameId.value).toBe(
      'alice@example.com',
    );
    const bareWrong = { ...sp, decryptionKeys: [attacker.privateKey] };
    await expectCode(validateLogoutRequest(input, options({ sp: bareWrong })), 'DECRYPTION_FAILED');
  });

  it('refuses a request without a NameID', async () => {
    const xml = (await request()).replace(/<saml:NameID[^>]*>[^<]*<\/saml:NameID>/, '');
    const input = await deliver('post', 'SAMLRequest', xml, idp.privateKey);
    await expectCode(validateLogoutRequest(input, options()), 'NAMEID_MISSING');
  });
});

describe('several IdPs: the IdP is resolved from the claimed Issuer', () => {
  const OTHER = 'https://other-idp.example/saml';
  function resolver(extra: Partial<LogoutValidationOptions> = {}): LogoutValidationOptions {
    const idps = new Map([
      [IDP, { entityId: IDP, signingKeys: [idp.publicKey] }],
      [OTHER, { entityId: OTHER, signingKeys: [attacker.publicKey] }],
    ]);
    return options({
      idp: (issuer: string) => {
        const found = idps.get(issuer);
        if (!found) throw new SamlError('IDP_UNKNOWN', 'unknown issuer');
        return found;
      },
      ...extra,
    });
  }

  it('verifies each message with the keys of the IdP it names', async () => {
    const a = await deliver('redirect', 'SAMLRequest', await request(), idp.privateKey);
    expect((await validateLogoutRequest(a, resolver())).issuer).toBe(IDP);
    const b = await deliver(
      'post',
      'SAMLRequest',
      await request({ issuer: OTHER }),
      attacker.privateKey,
    );
    expect((await validateLogoutRequest(b, resolver())).issuer).toBe(OTHER);
    const r = createLogoutResponse({
      issuer: OTHER,
      destination: SLO,
      inResponseTo: '_x',
      now: NOW,
    }).xml;
    const c = await deliver('soap', 'SAMLResponse', r, attacker.privateKey);
    expect((await validateLogoutResponse(c, { ...resolver(), inResponseTo: '_x' })).issuer).toBe(
      OTHER,
    );
  });

  it('refuses a message that names one IdP but is signed by another, and unknown issuers', async () => {
    const forged = await deliver(
      'redirect',
      'SAMLRequest',
      await request({ issuer: IDP }),
      attacker.privateKey,
    );
    await expectCode(validateLogoutRequest(forged, resolver()), 'SIGNATURE_INVALID');
    const unknown = await deliver(
      'post',
      'SAMLRequest',
      await request({ issuer: 'https://nobody' }),
      idp.privateKey,
    );
    await expectCode(validateLogoutRequest(unknown, resolver()), 'IDP_UNKNOWN');
  });
});

describe('LogoutResponse refusals', () => {
  function response(inResponseTo: string, issuer = IDP): string {
    return createLogoutResponse({ issuer, destination: SLO, inResponseTo, now: NOW }).xml;
  }

  it('takes the pending request from the store once, and refuses unknown or reused InResponseTo', async () => {
    const store = new MemoryStore();
    await store.putPendingRequest(
      '_out-1',
      { id: '_out-1', kind: 'logout', createdAt: NOW, idpEntityId: IDP },
      Date.now() + 60_000,
    );
    const input = await deliver(
      'redirect',
      'SAMLResponse',
      response('_out-1'),
      idp.privateKey,
      'rs',
    );
    const ok = await validateLogoutResponse(input, { ...options(), inResponseTo: '_out-1' });
    expect((await takePendingLogout(store, ok))?.id).toBe('_out-1');
    expect(ok.relayState).toBe('rs');
    const again = await validateLogoutResponse(input, { ...options(), inResponseTo: '_out-1' });
    await expectCode(takePendingLogout(store, again), 'IN_RESPONSE_TO_MISMATCH');
    const unknown = await deliver(
      'redirect',
      'SAMLResponse',
      response('_never-sent'),
      idp.privateKey,
    );
    await expectCode(
      takePendingLogout(
        store,
        await validateLogoutResponse(unknown, { ...options(), inResponseTo: '_never-sent' }),
      ),
      'IN_RESPONSE_TO_MISMATCH',
    );
  });

  it('refuses an answer to a pending login request, or to a logout sent to another IdP, and leaves both intact', async () => {
    const store = new MemoryStore();
    const authn = { id: '_authn', kind: 'authn', createdAt: NOW, idpEntityId: IDP } as const;
    const other = {
      id: '_other',
      kind: 'logout',
      createdAt: NOW,
      idpEntityId: 'https://other-idp',
    } as const;
    await store.putPendingRequest('_authn', authn, Date.now() + 60_000);
    await store.putPendingRequest('_other', other, Date.now() + 60_000);
    const a = await deliver('post', 'SAMLResponse', response('_authn'), idp.privateKey);
    await expectCode(
      takePendingLogout(
        store,
        await validateLogoutResponse(a, { ...options(), inResponseTo: '_authn' }),
      ),
      'IN_RESPONSE_TO_MISMATCH',
    );
    // SAML profiles §4.4.4.2: a correctly signed LogoutResponse from this IdP naming a logout
    // that went to another IdP is refused, and consumes nothing.
    const b = await deliver('post', 'SAMLResponse', response('_other'), idp.privateKey);
    await expectCode(
      takePendingLogout(
        store,
        await validateLogoutResponse(b, { ...options(), inResponseTo: '_other' }),
      ),
      'IN_RESPONSE_TO_MISMATCH',
    );
    // The other IdP's genuine answer (its own key) still takes its logout.
    const genuine = await deliver(
      'post',
      'SAMLResponse',
      response('_other', 'https://other-idp'),
      attacker.privateKey,
    );
    const validated = await validateLogoutResponse(genuine, {
      ...options(),
      idp: { entityId: 'https://other-idp', signingKeys: [attacker.publicKey] },
      inResponseTo: '_other',
    });
    expect(await takePendingLogout(store, validated)).toEqual(other);
    // And the login request is still there for its Response.
    expect(await store.takePendingRequest('_authn', { kind: 'authn', idpEntityId: IDP })).toEqual(
      authn,
    );
  });

  it('with a store that ignores the condition, puts a mismatching logout back until createdAt + requestTtlMs', async () => {
    let now = NOW;
    const inner = new MemoryStore({ now: () => now });
    const legacy = {
      takePendingRequest: (id: string) => inner.takePendingRequest(id),
      putPendingRequest: inner.putPendingRequest.bind(inner),
    };
    const ttl = 60_000;
    const other = {
      id: '_other',
      kind: 'logout',
      createdAt: NOW,
      idpEntityId: 'https://other-idp',
    } as const;
    await inner.putPendingRequest('_other', other, NOW + ttl);
    const b = await deliver('post', 'SAMLResponse', response('_other'), idp.privateKey);
    const fromB = await validateLogoutResponse(b, { ...options(), inResponseTo: '_other' });
    now = NOW + 1000;
    await expectCode(
      takePendingLogout(legacy, fromB, { now, requestTtlMs: ttl }),
      'IN_RESPONSE_TO_MISMATCH',
    );
    now = NOW + ttl - 1;
    expect(await inner.takePendingRequest('_other')).toEqual(other);
    await inner.putPendingRequest('_other', other, NOW + ttl);
    await expectCode(
      takePendingLogout(legacy, fromB, { now, requestTtlMs: ttl }),
      'IN_RESPONSE_TO_MISMATCH',
    );
    now = NOW + ttl;
    expect(await inner.takePendingRequest('_other')).toBeUndefined();
  });

  it('refuses a LogoutResponse without InResponseTo', async () => {
    const xml = response('_x').replace(' InResponseTo="_x"', '');
    const input = await deliver('post', 'SAMLResponse', xml, idp.privateKey);
    await expectCode(
      validateLogoutResponse(input, { ...options(), inResponseTo: '_x' }),
      'UNSOLICITED_RESPONSE',
    );
    await expectCode(
      validateLogoutResponse(input, { ...options(), inResponseTo: [] }),
      'UNSOLICITED_RESPONSE',
    );
  });

  it('refuses wrong issuer, wrong destination, bad signature', async () => {
    const opts = { ...options(), inResponseTo: '_x' };
    await expectCode(
      validateLogoutResponse(
        await deliver('post', 'SAMLResponse', response('_x', SP), idp.privateKey),
        opts,
      ),
      'ISSUER_MISMATCH',
    );
    const wrongDest = createLogoutResponse({
      issuer: IDP,
      destination: 'https://elsewhere.example/slo',
      inResponseTo: '_x',
      now: NOW,
    }).xml;
    await expectCode(
      validateLogoutResponse(
        await deliver('simpleSign', 'SAMLResponse', wrongDest, idp.privateKey),
        opts,
      ),
      'DESTINATION_MISMATCH',
    );
    await expectCode(
      validateLogoutResponse(
        await deliver('soap', 'SAMLResponse', response('_x'), attacker.privateKey),
        opts,
      ),
      'SIGNATURE_INVALID',
    );
  });

  it('returns a failed or partial status instead of throwing', async () => {
    const { xml } = createLogoutResponse({
      issuer: IDP,
      destination: SLO,
      inResponseTo: '_x',
      now: NOW,
      status: { code: 'Responder', subCode: 'PartialLogout', message: 'one SP did not answer' },
    });
    const result = await validateLogoutResponse(
      await deliver('redirect', 'SAMLResponse', xml, idp.privateKey),
      {
        ...options(),
        inResponseTo: '_x',
      },
    );
    expect(result.status).toMatchObject({
      success: false,
      partial: true,
      message: 'one SP did not answer',
    });
  });

  it('insists on exactly one way of checking InResponseTo', async () => {
    const input = await deliver('post', 'SAMLResponse', response('_x'), idp.privateKey);
    await expect(validateLogoutResponse(input, options())).rejects.toThrow(TypeError);
    await expect(
      validateLogoutResponse(input, {
        ...options(),
        inResponseTo: '_x',
        skipInResponseToCheck: true,
      }),
    ).rejects.toThrow(TypeError);
  });

  it('never consumes a pending request: a store given as pendingRequests is refused, untouched', async () => {
    // The validators are pure; the caller takes the pending request after verification.
    const store = new MemoryStore();
    await store.putPendingRequest(
      '_x',
      { id: '_x', kind: 'logout', createdAt: NOW, idpEntityId: IDP },
      Date.now() + 60_000,
    );
    const input = await deliver('post', 'SAMLResponse', response('_x'), idp.privateKey);
    await expect(
      validateLogoutResponse(input, {
        ...options(),
        skipInResponseToCheck: true,
        pendingRequests: store,
      } as Parameters<typeof validateLogoutResponse>[1]),
    ).rejects.toThrow(/pendingRequests is not an option/);
    expect((await store.takePendingRequest('_x'))?.id).toBe('_x');
  });
});
