// One structured line per refused request: the default logger writes one JSON line per event, the
// event names the code, route, IdP, request ID and (behind a trusted proxy) the client address,
// and it never carries the received message (XML or base64), cookies, finish codes or keys.
import { MemoryStore, SamlError, type SamlLogEvent } from '@samlkit/core';
import fc from 'fast-check';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { deliveryRequest, req, setup, startLogin, wrapStore } from './support.js';

/** Everything the default logger writes to the console while `fn` runs. */
async function consoleLines(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const capture = (...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  };
  const warn = vi.spyOn(console, 'warn').mockImplementation(capture);
  const error = vi.spyOn(console, 'error').mockImplementation(capture);
  try {
    await fn();
  } finally {
    warn.mockRestore();
    error.mockRestore();
  }
  return lines;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('refusal events', () => {
  test('the default logger writes exactly one JSON line per refused request', async () => {
    const s = await setup({ logger: undefined as never });
    const { request, relayState } = await startLogin(s.sp, s.idp);
    const delivery = await s.idp.answerLogin(request, relayState);
    expect((await s.sp.acs(deliveryRequest(delivery))).status).toBe(303);
    const lines = await consoleLines(async () => {
      // A replay (403), a form without SAMLResponse (400), a finish code nobody holds (403).
      const replay = deliveryRequest(delivery);
      replay.headers.set('x-request-id', 'req-42');
      expect((await s.sp.acs(replay)).status).toBe(403);
      const empty = req('/saml/acs', {
        method: 'POST',
        body: 'RelayState=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect((await s.sp.acs(empty)).status).toBe(400);
      expect((await s.sp.acs(req('/saml/acs?finish=AAAAAAAAAAAAAAAAAAAAAAAA'))).status).toBe(403);
    });
    expect(lines).toHaveLength(3);
    const events = lines.map((l) => {
      expect(l).not.toContain('\n');
      return JSON.parse(l) as SamlLogEvent & { source: string };
    });
    expect(events.map((e) => [e.level, e.code, e.status, e.route])).toEqual([
      ['warn', 'IN_RESPONSE_TO_MISMATCH', 403, 'acs'],
      ['warn', 'BINDING_INVALID', 400, 'acs'],
      ['warn', 'LOGIN_BINDING_MISMATCH', 403, 'acs'],
    ]);
    expect(events[0]).toMatchObject({
      source: 'samlkit',
      event: 'refused',
      idpEntityId: s.idp.entityId,
      requestId: 'req-42',
      path: '/saml/acs',
      method: 'POST',
    });
    expect(events[0]?.message).toMatch(/^\[IN_RESPONSE_TO_MISMATCH\] The Response answers no/);
    // No proxy is trusted: no client address, whatever the headers say.
    expect(events.every((e) => e.clientAddress === undefined)).toBe(true);
  });

  test('a store failure is one error line (503), with the code', async () => {
    const inner = new MemoryStore();
    const store = wrapStore(inner, {
      putPendingRequest: () =>
        Promise.reject(
          new SamlError('STORE_UNAVAILABLE', 'The store could not complete putPendingRequest.', {
            expected: 'a store that answers',
            found: 'no answer',
          }),
        ),
    });
    const s = await setup({ store, logger: undefined as never });
    const lines = await consoleLines(async () => {
      expect((await s.sp.login(req('/saml/login'))).status).toBe(503);
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'error',
      code: 'STORE_UNAVAILABLE',
      status: 503,
      route: 'login',
    });
  });

  test('a bug (not a SamlError) is one error line with its stack, answered 500', async () => {
    const store = wrapStore(new MemoryStore(), {
      putPendingRequest: () => Promise.reject(new RangeError('bug in a custom store')),
    });
    const s = await setup({ store, logger: undefined as never });
    const lines = await consoleLines(async () => {
      expect((await s.sp.login(req('/saml/login'))).status).toBe(500);
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const e = JSON.parse(lines[0]!) as SamlLogEvent;
    expect(e).toMatchObject({
      level: 'error',
      event: 'failed',
      code: 'INTERNAL_ERROR',
      message: 'unexpected failure: RangeError: bug in a custom store',
    });
    expect(e.stack).toMatch(/^RangeError: bug in a custom store\n\s+at /);
  });

  test('behind a trusted proxy the client address is the one the proxy appended', async () => {
    const events: SamlLogEvent[] = [];
    const logger = { warn() {}, error() {}, event: (e: SamlLogEvent) => events.push(e) };
    const trusted = await setup({ trustProxy: true, logger });
    const untrusted = await setup({ logger });
    const refused = (xff: string) =>
      req('/saml/acs', {
        method: 'POST',
        body: 'x=1',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': xff,
          'x-request-id': 'bad id with spaces',
        },
      });
    await trusted.sp.acs(refused('6.6.6.6, 203.0.113.7'));
    await trusted.sp.acs(refused('203.0.113.7, not-an-address'));
    await untrusted.sp.acs(refused('203.0.113.7'));
    expect(events.map((e) => e.clientAddress)).toEqual(['203.0.113.7', undefined, undefined]);
    // A malformed X-Request-ID is left out, not copied.
    expect(events.every((e) => e.requestId === undefined)).toBe(true);
  });

  test('a logger without `event` gets warn(message, event fields) as before', async () => {
    const s = await setup();
    await s.sp.acs(req('/saml/acs?finish=AAAAAAAAAAAAAAAAAAAAAAAA'));
    const logged = s.logs.find((l) => l.details?.code === 'LOGIN_BINDING_MISMATCH');
    expect(logged?.level).toBe('warn');
    expect(logged?.details).toMatchObject({ route: 'acs', status: 403, event: 'refused' });
    expect(logged?.message).toMatch(/^\[LOGIN_BINDING_MISMATCH\]/);
  });

  test('property: no refusal line carries the message, its XML, cookies, finish codes or keys', async () => {
    const s = await setup({ logger: undefined as never, trustProxy: true });
    const pem = s.options.sp.signingKeys?.[0]?.certificate ?? '';
    const token = fc.stringMatching(/^[A-Za-z0-9]{32}$/);
    await fc.assert(
      fc.asyncProperty(token, token, token, async (secretValue, cookieValue, finishCode) => {
        const { request, relayState, browserCookie } = await startLogin(s.sp, s.idp);
        const delivery = await s.idp.answerLogin(request, relayState, {
          attributes: [{ name: 'secret', values: [secretValue] }],
        });
        if (delivery.binding !== 'post') throw new Error('expected a POST delivery');
        const samlResponse = delivery.form.get('SAMLResponse') ?? '';
        const cookie = `__Host-samlkit_session=${cookieValue}; ${browserCookie}`;
        const xml = new TextDecoder().decode(
          Uint8Array.from(atob(samlResponse), (c) => c.charCodeAt(0)),
        );
        // The same Response tampered with (the secret changed after signing): refused.
        const tampered = new URLSearchParams(delivery.form);
        tampered.set(
          'SAMLResponse',
          btoa(
            String.fromCharCode(
              ...new TextEncoder().encode(xml.replace(secretValue, `${secretValue}x`)),
            ),
          ),
        );
        const post = (body: URLSearchParams) =>
          req('/saml/acs', {
            method: 'POST',
            body: body.toString(),
            cookie,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'x-forwarded-for': '198.51.100.1',
            },
          });
        let finishUrl = '';
        const lines = await consoleLines(async () => {
          expect((await s.sp.acs(post(tampered))).status).toBe(403);
          const ok = await s.sp.acs(post(delivery.form));
          expect(ok.status).toBe(303);
          finishUrl = ok.headers.get('location')!;
          expect((await s.sp.acs(post(delivery.form))).status).toBe(403); // replay
          const finish = await s.sp.acs(req(`/saml/acs?finish=${finishCode}`, { cookie }));
          expect(finish.status).toBe(403);
          const wrongBrowser = await s.sp.acs(req(ok.headers.get('location')!));
          expect(wrongBrowser.status).toBe(403);
        });
        expect(lines).toHaveLength(4);
        const code = new URL(finishUrl, 'https://x').searchParams.get('finish');
        for (const line of lines) {
          expect(line).not.toContain('\n');
          for (const secret of [
            secretValue,
            cookieValue,
            finishCode,
            samlResponse.slice(0, 40),
            samlResponse.slice(-40),
            '<saml',
            'Assertion ID=',
            pem.split('\n')[1] ?? 'no pem',
          ]) {
            expect(line).not.toContain(secret);
          }
          expect(code).toBeTruthy();
          expect(line).not.toContain(code);
        }
      }),
      { numRuns: 5 },
    );
  });
});
