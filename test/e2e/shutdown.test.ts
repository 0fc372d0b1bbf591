// SIGTERM under load: the demo (`pnpm start`) as a child process, 20 logins whose ACS POSTs are in
// flight (the server has their headers, not yet their whole body) when the signal arrives. Every
// one of them must be answered, none reset, and the port must stop accepting meanwhile.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, type HtmlForm, readForms } from '../support/browser-client.js';
import { type DemoProcess, startDemoProcess } from '../support/demo-process.js';

const LOGINS = 20;

/** Signs in at the built-in IdP and returns the ACS form the IdP's page would auto-submit. */
async function acsForm(demo: DemoProcess): Promise<HtmlForm> {
  const browser = new BrowserClient();
  const login = await browser.go(`${demo.url}/saml/login?returnTo=%2Fprofile`);
  const form = readForms(login).find((f) => f.fields.has('username'));
  if (!form) throw new Error(`no IdP login form at ${login.url}`);
  const posted = await browser.submit(form, { username: 'alice', password: 'alice' });
  const acs = readForms(posted).find((f) => f.fields.has('SAMLResponse'));
  if (!acs) throw new Error(`no ACS form at ${posted.url}`);
  return acs;
}

/** An ACS POST whose headers the server has acknowledged (100 Continue), half its body sent. */
async function startAcsPost(form: HtmlForm) {
  const body = form.fields.toString();
  const url = new URL(form.action);
  const req = httpRequest({
    host: url.hostname,
    port: Number(url.port),
    method: 'POST',
    path: url.pathname,
    headers: {
      host: url.host,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
      expect: '100-continue',
    },
  });
  const answer = new Promise<{ status: number; location: string | undefined } | Error>(
    (resolve) => {
      req.once('response', (res) => {
        res.resume();
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, location: res.headers.location }),
        );
      });
      req.once('error', (err) => resolve(err));
    },
  );
  await new Promise<void>((resolve, reject) => {
    req.once('continue', () => resolve());
    req.once('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return { finish: () => req.end(body.slice(half)), answer };
}

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('SIGTERM with logins in flight (the demo)', () => {
  let demo: DemoProcess;

  beforeAll(async () => {
    demo = await startDemoProcess({ SAML_SHUTDOWN_MS: '60000' });
  }, 400_000);
  afterAll(async () => {
    await demo?.stop();
  });

  it('answers all 20 ACS POSTs in flight, refusing new connections meanwhile', async () => {
    const forms: HtmlForm[] = [];
    for (let i = 0; i < LOGINS; i++) forms.push(await acsForm(demo));
    const posts = await Promise.all(forms.map((f) => startAcsPost(f)));

    const stopped = demo.stop(); // SIGTERM
    const { hostname, port } = new URL(demo.url);
    // The demo stops accepting first (the listening socket closes) …
    while (!(await refused(hostname, Number(port)))) await new Promise((r) => setTimeout(r, 20));
    // … while the 20 logins are still in flight: their bodies arrive only now.
    for (const p of posts) p.finish();
    const answers = await Promise.all(posts.map((p) => p.answer));
    await stopped;

    const resets = answers.filter((a) => a instanceof Error);
    expect(resets).toEqual([]);
    for (const a of answers as { status: number; location: string | undefined }[]) {
      // Validated and parked: on to the finish step.
      expect(a.status).toBe(303);
      expect(a.location).toMatch(/\/saml\/acs\?finish=/);
    }
    expect(demo.output()).toContain('SIGTERM: answering the requests in flight');
    expect(demo.output()).not.toContain('cut at the deadline');
  }, 120_000);
});
