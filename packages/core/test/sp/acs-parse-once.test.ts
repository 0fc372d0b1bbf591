// The ACS parses the IdP's Response once: the document it reads the Issuer and InResponseTo from
// is the one it validates. Counted with a pass-through spy on the real parser (it still parses).
import { afterEach, describe, expect, test, vi } from 'vitest';
import * as xml from '../../src/lib/xml.js';
import { deliveryRequest, req, setup, startLogin } from './support.js';

vi.mock('../../src/lib/xml.js', async (importOriginal) => {
  const real = await importOriginal<typeof xml>();
  return { ...real, parseXml: vi.fn(real.parseXml) };
});

const parseXml = vi.mocked(xml.parseXml);

afterEach(() => {
  parseXml.mockClear();
});

describe('ACS: one parse per Response', () => {
  for (const binding of ['post', 'redirect'] as const) {
    test(`a valid Response on ${binding} is parsed once, and the login completes`, async () => {
      const s = await setup();
      const { request, relayState, browserCookie } = await startLogin(s.sp, s.idp);
      const delivery = await s.idp.answerLogin(request, relayState, { binding });
      const acsRequest = deliveryRequest(delivery);
      parseXml.mockClear();
      const acs = await s.sp.acs(acsRequest);
      expect(acs.status).toBe(303);
      expect(parseXml).toHaveBeenCalledTimes(1);
      const done = await s.sp.acs(req(acs.headers.get('location')!, { cookie: browserCookie }));
      expect(done.status).toBe(303);
    });
  }

  test('a refused Response (posted again) is parsed once too', async () => {
    const s = await setup();
    const { request, relayState } = await startLogin(s.sp, s.idp);
    const delivery = await s.idp.answerLogin(request, relayState);
    expect((await s.sp.acs(deliveryRequest(delivery))).status).toBe(303);
    parseXml.mockClear();
    const acs = await s.sp.acs(deliveryRequest(delivery));
    expect(acs.status).toBe(403);
    expect(parseXml).toHaveBeenCalledTimes(1);
  });
});

describe('ACS: the crypto work of validateResponse and no more', () => {
  test('per Response: one digest and one signature check; the IdP key is imported once, not per login', async () => {
    const s = await setup();
    const subtle = globalThis.crypto.subtle;
    const importKey = vi.spyOn(subtle, 'importKey');
    const digest = vi.spyOn(subtle, 'digest');
    const verify = vi.spyOn(subtle, 'verify');
    try {
      const counts: Array<[number, number, number]> = [];
      for (let i = 0; i < 3; i++) {
        const { request, relayState } = await startLogin(s.sp, s.idp);
        const delivery = await s.idp.answerLogin(request, relayState);
        const acsRequest = deliveryRequest(delivery);
        importKey.mockClear();
        digest.mockClear();
        verify.mockClear();
        expect((await s.sp.acs(acsRequest)).status).toBe(303);
        counts.push([
          importKey.mock.calls.length,
          digest.mock.calls.length,
          verify.mock.calls.length,
        ]);
      }
      // The assertion's one reference digested, its one signature verified (xmldsig §3.2); the
      // key imported at the first login only (keys are cached per key and use).
      expect(counts[0]![1]).toBe(1);
      expect(counts[0]![2]).toBe(1);
      expect(counts.slice(1)).toEqual([
        [0, 1, 1],
        [0, 1, 1],
      ]);
    } finally {
      importKey.mockRestore();
      digest.mockRestore();
      verify.mockRestore();
    }
  });
});
