// ACS end to end over HTTP, per adapter. For each of @samlkit/express, koa, fastify and fetch, a
// server process (src/acs-e2e-server.ts: the adapter mounted as its guide shows, memory store,
// 127.0.0.1) is started, and this process — the client, never sharing the server's CPU — does:
//  1. checks: a valid login's Response is accepted (303 to the finish URL, no cookie sent, as on
//     the IdP's cross-site POST), the same Response again is refused, the finish step with the
//     login cookie creates a session that /profile accepts, a tampered Response is refused;
//  2. starts one login per request through GET /saml/login (a real pending AuthnRequest and its
//     login cookie each) and has the test IdP answer each with its own signed Response (small
//     document, assertion signed, RSA-2048), all before timing;
//  3. fires them at the ACS with autocannon: a fixed number of keep-alive connections and a fixed
//     number of requests, each carrying its own login (a warm-up batch first, not measured); every
//     answer must be the 303 to a finish URL, anything else counts as an error;
//  4. finishes one login of the timed run, which proves the timed answers were real logins.
// Usage: node --import tsx src/acs-e2e.ts <full|smoke> <out.json>
// For a look at one adapter: ACS_ADAPTERS=express,fetch runs only those; ACS_REQUESTS=800 times
// that many requests (a tenth as many as warm-up); ACS_PROFILE_DIR=<dir> has the server write a
// CPU profile of the timed run alone to <dir>/<adapter>-0.cpuprofile (profiling inflates the CPU
// figures: read the proportions, not the ratio).

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestIdp, generateTestKeys, type TestIdp, toPostBinding } from '@samlkit/testkit';
import autocannon from 'autocannon';
import type { BaselineItem, FromServer, ServerConfig, ToServer } from './acs-e2e-server.js';
import { type AcsInProcessResult, measureAcsInProcess } from './acs-in-process.js';
import { idpAnswer } from './acs-sp.js';
import { NAME_ID } from './fixtures.js';
import { ACS_ADAPTERS, type AcsAdapter, type AcsPlan, acsPlan, type Mode } from './plans.js';
import { runMain } from './run-main.js';
import { percentile, round3, round4 } from './timing.js';

/** What the checks before timing found (a timed adapter passed every one). */
export interface AcsChecks {
  /** A valid Response, POSTed without cookies, is answered 303 to the finish URL. */
  readonly accepts_valid: boolean;
  /** The same Response POSTed again is refused (status and samlkit error code). */
  readonly replay_refused_with: string;
  /** The finish step with the login cookie answers 303 to returnTo with a session cookie, and
   * the protected /profile route answers 200 with the user. */
  readonly finish_step: boolean;
  /** A Response whose NameID was changed after signing is refused (status and error code). */
  readonly tampered_refused_with: string;
  /** A login from the timed run could be finished afterwards. */
  readonly finish_after_run: boolean;
}

export interface AcsE2eTimed {
  readonly status: 'timed';
  /** The HTTP server the adapter ran in. */
  readonly server: string;
  readonly connections: number;
  /** Requests in the timed run (each a distinct login). */
  readonly requests: number;
  /** Requests fired before the timed run, not measured. */
  readonly warmup_requests: number;
  /** Answers per second, from the first request to the last answer. */
  readonly requests_per_s: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly mean_ms: number;
  readonly max_ms: number;
  /** Requests not answered with the 303 to a finish URL. */
  readonly errors: number;
  /** What the errors were, by kind (empty when there were none). */
  readonly error_kinds: Record<string, number>;
  /** The server process's CPU time (user + system) during the timed run, per request. */
  readonly server_cpu_ms_per_request: number;
  /** CPU ms of validateResponse alone per Response, in the same server process and document. */
  readonly validate_response_cpu_ms: number;
  /** How many Responses that figure averages. */
  readonly validate_response_runs: number;
  /** Garbage-collection pause time in the server per ACS request, ms (part of its CPU). */
  readonly server_gc_ms_per_request: number;
  /** The same per validateResponse of the baseline, ms. */
  readonly validate_response_gc_ms: number;
  /** server_cpu_ms_per_request / validate_response_cpu_ms (target: at most 1.3). */
  readonly acs_vs_validate_response: number;
  readonly acs_vs_validate_response_target: number;
  /**
   * The framework floor: server CPU per request of `POST /floor` in the same app (the same form
   * body read, the ACS's 303 and headers, no samlkit), timed after each ACS round with as many
   * requests over as many connections. What HTTP and the framework cost whatever the library.
   */
  readonly framework_floor_cpu_ms_per_request: number;
  /** server_cpu_ms_per_request − framework_floor_cpu_ms_per_request: samlkit's part of the ACS. */
  readonly samlkit_cpu_ms_per_request: number;
  /** samlkit_cpu_ms_per_request / validate_response_cpu_ms. */
  readonly samlkit_vs_validate_response: number;
  readonly samlkit_vs_validate_response_by_round: number[];
  /** How many rounds the timed run had, each after its own validateResponse batch. */
  readonly rounds: number;
  /** The ratio in each round (its ACS CPU per login / its batch's CPU per validation). */
  readonly acs_vs_validate_response_by_round: number[];
  /** What samlkit logged in the server during the timed run, by level and code (empty: nothing). */
  readonly server_logged: Record<string, number>;
  /** The SAML Response XML of one request, and the whole form body POSTed. */
  readonly response_bytes: number;
  readonly body_bytes: number;
  readonly checks: AcsChecks;
}

export type AcsE2eAdapterResult =
  | AcsE2eTimed
  | { readonly status: 'not-run'; readonly reason: string };

export interface AcsE2eResult {
  /** Keyed by package name, e.g. `@samlkit/express`. */
  readonly adapters: Record<string, AcsE2eAdapterResult>;
  /** The ACS in this process without HTTP, against validateResponse (src/acs-in-process.ts). */
  readonly in_process: AcsInProcessResult | { readonly status: 'not-run'; readonly reason: string };
}

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = resolve(here, '..');

const SP_BASE = 'https://sp.bench.example';
const IDP_BASE = 'https://idp.bench.example';
const IDP_ENTITY_ID = `${IDP_BASE}/metadata`;
// samlkit's default names on an https base URL.
const LOGIN_COOKIE = '__Host-samlkit_session_login';
const SESSION_COOKIE = '__Host-samlkit_session';
const TAMPERED_NAME_ID = 'mallory.benchmark@example.com';
/** Logins prepared at once (the SP answers GET /saml/login while this process signs). */
const PREPARE_CONCURRENCY = 4;
const FINISH_PATH = /^\/saml\/acs\?finish=[A-Za-z0-9_-]{43}$/;

function log(msg: string): void {
  process.stderr.write(`acs-e2e: ${msg}\n`);
}

/** Rejects when `p` has not settled within `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// The server process

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

interface ServerProcess {
  readonly url: string;
  readonly server: string;
  /** CPU and log counts; `profile` starts or stops the CPU profiler (with ACS_PROFILE_DIR). */
  stats(
    profile?: 'start' | 'stop',
  ): Promise<{ cpu_us: number; gc_ms: number; logged: Record<string, number> }>;
  /** CPU µs the server spends in validateResponse alone on `items`, and how many it validated. */
  baseline(
    items: readonly BaselineItem[],
  ): Promise<{ cpu_us: number; gc_ms: number; validated: number }>;
  stop(): Promise<void>;
}

async function startServer(adapter: AcsAdapter, config: ServerConfig): Promise<ServerProcess> {
  // The server's stdout goes to this process's stderr: stdout carries nothing here.
  const child = spawn(
    process.execPath,
    [
      // ACS_SERVER_NODE_FLAGS: V8/Node flags for the server process only (diagnostics, e.g.
      // --single-threaded-gc); empty for the published figures.
      ...(process.env['ACS_SERVER_NODE_FLAGS']?.split(' ').filter(Boolean) ?? []),
      '--import',
      'tsx',
      join(here, 'acs-e2e-server.ts'),
      adapter,
    ],
    { cwd: benchDir, stdio: ['ignore', 2, 'inherit', 'ipc'] },
  );
  live.add(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  exited.then(() => live.delete(child));
  const nextMessage = <T extends FromServer['type']>(type: T) =>
    new Promise<Extract<FromServer, { type: T }>>((resolvePromise, reject) => {
      const onMessage = (m: FromServer) => {
        if (m.type === 'failed') {
          child.off('message', onMessage);
          reject(new Error(`the ${adapter} server failed to start: ${m.error}`));
        } else if (m.type === type) {
          child.off('message', onMessage);
          resolvePromise(m as Extract<FromServer, { type: T }>);
        }
      };
      child.on('message', onMessage);
      exited.then((code) => reject(new Error(`the ${adapter} server exited with ${code}`)));
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const ready = nextMessage('ready');
    child.send({ type: 'start', config } satisfies ToServer);
    const { url, server } = await withTimeout(ready, 60_000, `starting the ${adapter} server`);
    return {
      url,
      server,
      stop,
      stats: async (profile) => {
        const answer = nextMessage('stats');
        child.send({ type: 'stats', ...(profile && { profile }) } satisfies ToServer);
        const { cpu_us, gc_ms, logged } = await withTimeout(answer, 10_000, 'server stats');
        return { cpu_us, gc_ms, logged };
      },
      baseline: async (items) => {
        const answer = nextMessage('baseline');
        child.send({ type: 'baseline', items } satisfies ToServer);
        const { cpu_us, gc_ms, validated } = await withTimeout(answer, 120_000, 'server baseline');
        return { cpu_us, gc_ms, validated };
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// The browser side: logins, and the requests of the checks

interface PreparedLogin {
  /** The ACS POST body: SAMLResponse and RelayState, form-encoded. */
  readonly body: string;
  /** `__Host-samlkit_session_login=<nonce>`, set when the login started; the finish step needs it. */
  readonly loginCookie: string;
  /** The SAML Response XML. */
  readonly xml: string;
}

/** The `name=value` part of the named cookie a response sets. */
function cookieSet(response: Response, name: string): string | undefined {
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';', 1)[0]!.trim();
    if (pair.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
  }
  return undefined;
}

async function send(
  url: string,
  init: { method?: string; body?: string; cookie?: string; json?: boolean } = {},
): Promise<{ response: Response; text: string }> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (init.cookie) headers['cookie'] = init.cookie;
  if (init.json) headers['accept'] = 'application/json';
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    redirect: 'manual',
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { response, text: await response.text() };
}

/** Starts a login at the SP and has the test IdP answer it (signed, POST binding). */
async function prepareLogin(base: string, idp: TestIdp): Promise<PreparedLogin> {
  const { response } = await send(`${base}/saml/login?returnTo=%2Fprofile`);
  const location = response.headers.get('location') ?? '';
  if (response.status !== 303 || !location.startsWith(`${IDP_BASE}/sso?`)) {
    throw new Error(
      `GET /saml/login answered ${response.status} to ${location.slice(0, 60)}; expected 303 to the IdP`,
    );
  }
  const loginCookie = cookieSet(response, LOGIN_COOKIE);
  if (!loginCookie) throw new Error(`GET /saml/login set no ${LOGIN_COOKIE} cookie`);
  const { form, xml } = await idpAnswer(idp, location);
  return { body: form, loginCookie, xml };
}

async function prepareLogins(base: string, idp: TestIdp, n: number): Promise<PreparedLogin[]> {
  const out: PreparedLogin[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PREPARE_CONCURRENCY, n) }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await prepareLogin(base, idp);
    }),
  );
  return out;
}

/** The finish path an ACS answer's Location names (relative to the SP), else undefined. */
function finishPathOf(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const url = new URL(location, SP_BASE);
  const path = `${url.pathname}${url.search}`;
  return FINISH_PATH.test(path) ? path : undefined;
}

/** A refusal as `<status> <samlkit error code>` (the error page's JSON form). */
function refusal(status: number, text: string): string {
  let code = '?';
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '?';
  } catch {
    // not JSON: keep '?'
  }
  return `${status} ${code}`;
}

/** Finishes a login: the finish step must set the session cookie and send the browser on. */
async function finish(base: string, finishPath: string, loginCookie: string): Promise<string> {
  const { response } = await send(`${base}${finishPath}`, { cookie: loginCookie });
  const location = response.headers.get('location') ?? '';
  const session = cookieSet(response, SESSION_COOKIE);
  if (response.status !== 303 || new URL(location, SP_BASE).pathname !== '/profile' || !session) {
    throw new Error(
      `the finish step answered ${response.status} to ${location || 'nowhere'}${session ? '' : ' without a session cookie'}; expected 303 to /profile with one`,
    );
  }
  return session;
}

async function checkBeforeTiming(
  base: string,
  idp: TestIdp,
): Promise<Omit<AcsChecks, 'finish_after_run'>> {
  const valid = await prepareLogin(base, idp);
  const accepted = await send(`${base}/saml/acs`, { method: 'POST', body: valid.body });
  const finishPath = finishPathOf(accepted.response.headers.get('location') ?? undefined);
  if (accepted.response.status !== 303 || !finishPath) {
    throw new Error(
      `a valid Response was answered ${refusal(accepted.response.status, accepted.text)}; expected 303 to the finish URL`,
    );
  }
  const replay = await send(`${base}/saml/acs`, { method: 'POST', body: valid.body, json: true });
  if (replay.response.status !== 403) {
    throw new Error(`the same Response again was answered ${replay.response.status}, not refused`);
  }
  const session = await finish(base, finishPath, valid.loginCookie);
  const profile = await send(`${base}/profile`, { cookie: session });
  if (profile.response.status !== 200 || !profile.text.includes(NAME_ID)) {
    throw new Error(
      `/profile after the login answered ${profile.response.status}: ${profile.text.slice(0, 100)}`,
    );
  }

  const other = await prepareLogin(base, idp);
  const tamperedXml = other.xml.replace(`>${NAME_ID}<`, `>${TAMPERED_NAME_ID}<`);
  if (tamperedXml === other.xml) throw new Error('tampering failed: NameID not found');
  const form = new URLSearchParams(other.body);
  form.set('SAMLResponse', toPostBinding(tamperedXml));
  const tampered = await send(`${base}/saml/acs`, {
    method: 'POST',
    body: form.toString(),
    json: true,
  });
  if (tampered.response.status !== 403) {
    throw new Error(`a tampered Response was answered ${tampered.response.status}, not refused`);
  }
  return {
    accepts_valid: true,
    replay_refused_with: refusal(replay.response.status, replay.text),
    finish_step: true,
    tampered_refused_with: refusal(tampered.response.status, tampered.text),
  };
}

// ---------------------------------------------------------------------------------------------
// The load generator

interface Fired {
  readonly answered: number;
  readonly ok: number;
  readonly errorKinds: Record<string, number>;
  /** Every answer's latency, ms. */
  readonly latencies: number[];
  readonly elapsedMs: number;
  /** A login the run got a finish URL for, with its login cookie. */
  readonly finishable?: { readonly path: string; readonly loginCookie: string };
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : String(v);
  }
  return undefined;
}

/**
 * POSTs every prepared login to the ACS once, over `connections` keep-alive connections (one
 * request in flight on each), and checks every answer.
 */
/** Rounds of the timed run, each preceded by its own validateResponse batch. */
const ACS_ROUNDS = 6;

function fire(base: string, logins: readonly PreparedLogin[], connections: number): Promise<Fired> {
  let next = 0;
  let answered = 0;
  let ok = 0;
  const errorKinds: Record<string, number> = {};
  const bump = (kind: string, n = 1) => {
    errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
  };
  const latencies: number[] = [];
  let finishable: Fired['finishable'];
  const started = performance.now();
  let lastAnswer = started;
  return new Promise((resolvePromise, reject) => {
    const instance = autocannon(
      {
        url: base,
        connections: Math.min(connections, logins.length),
        pipelining: 1,
        amount: logins.length,
        timeout: 30,
        sampleInt: 100,
        requests: [
          {
            method: 'POST',
            path: '/saml/acs',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            // Called once per request (the connection's previous answer is in): the next login.
            // A request lost to a timeout or a broken connection is replaced by autocannon, so
            // more calls than logins can happen only after an error; those replay the last login
            // and are refused, which counts them as errors too.
            setupRequest: (request, context) => {
              const i = Math.min(next++, logins.length - 1);
              (context as { login?: number }).login = i;
              return { ...request, body: logins[i]!.body };
            },
            onResponse: (status, _body, context, headers) => {
              answered++;
              if (status !== 303) return bump(`answered ${status}`);
              const path = finishPathOf(headerValue(headers ?? {}, 'location'));
              if (!path) return bump('303 without a finish URL');
              ok++;
              const login = logins[(context as { login?: number }).login ?? -1];
              if (login) finishable = { path, loginCookie: login.loginCookie };
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const unanswered = logins.length - answered;
        if (unanswered > 0) bump('no answer (timeout or broken connection)', unanswered);
        if (result.timeouts > 0) bump('autocannon: timeouts', result.timeouts);
        if (result.errors - result.timeouts > 0) {
          bump('autocannon: connection errors', result.errors - result.timeouts);
        }
        resolvePromise({
          answered,
          ok,
          errorKinds,
          latencies,
          elapsedMs: lastAnswer - started,
          ...(finishable ? { finishable } : {}),
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
      lastAnswer = performance.now();
    });
  });
}

/**
 * POSTs `body` to the framework floor (`POST /floor`, src/acs-e2e-server.ts) `amount` times over
 * `connections` connections; rejects unless every answer is its 303.
 */
function fireFloor(base: string, body: string, amount: number, connections: number): Promise<void> {
  let ok = 0;
  return new Promise((resolvePromise, reject) => {
    const instance = autocannon(
      {
        url: `${base}/floor`,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        connections: Math.min(connections, amount),
        pipelining: 1,
        amount,
        timeout: 30,
      },
      (err) => {
        if (err) return reject(err);
        if (ok !== amount) return reject(new Error(`floor: ${ok} of ${amount} answered 303`));
        resolvePromise();
      },
    );
    instance.on('response', (_client, status) => {
      if (status === 303) ok++;
    });
  });
}

// ---------------------------------------------------------------------------------------------

async function runAdapter(
  adapter: AcsAdapter,
  config: ServerConfig,
  idp: TestIdp,
  plan: AcsPlan,
): Promise<AcsE2eTimed> {
  const server = await startServer(adapter, config);
  try {
    const base = server.url;
    const checks = await checkBeforeTiming(base, idp);
    log(
      `${adapter} (${server.server}): valid login accepted and finished; replay refused (${checks.replay_refused_with}), tampered refused (${checks.tampered_refused_with})`,
    );
    log(`${adapter}: preparing ${plan.warmupRequests} + ${plan.requests} logins…`);
    const warmup = await prepareLogins(base, idp, plan.warmupRequests);
    const logins = await prepareLogins(base, idp, plan.requests);
    if (warmup.length > 0) {
      const w = await fire(base, warmup, plan.connections);
      if (w.ok !== warmup.length) {
        log(`${adapter}: warm-up errors ${JSON.stringify(w.errorKinds)}`);
      }
    }
    const first = await server.stats();
    const logged: Record<string, number> = {};
    // The timed run goes in rounds, each after a batch of validateResponse alone on the same kind
    // of Response (fresh logins, never posted) in the server process: both figures are taken in
    // the same machine state (load, heap, CPU clock), so their ratio does not drift with what
    // else ran between two phases minutes apart.
    const rounds = Math.max(1, Math.min(ACS_ROUNDS, Math.floor(logins.length / 100)));
    // As many as the timed run: each baseline batch is as long as the round after it, so a
    // collection that lands in one of them weighs the same in both figures.
    const extra = await prepareLogins(base, idp, plan.requests);
    const items: BaselineItem[] = extra.map((l) => ({
      xml: l.xml,
      inResponseTo: /\bInResponseTo="([^"]+)"/.exec(l.xml)?.[1] ?? '',
    }));
    const part = <T>(list: readonly T[], r: number) =>
      list.slice(
        Math.floor((r * list.length) / rounds),
        Math.floor(((r + 1) * list.length) / rounds),
      );
    let acsCpuUs = 0;
    let baseCpuUs = 0;
    let acsGcMs = 0;
    let baseGcMs = 0;
    let validated = 0;
    let floorCpuUs = 0;
    const roundRatios: number[] = [];
    const samlkitRatios: number[] = [];
    const fired: Fired[] = [];
    for (let r = 0; r < rounds; r++) {
      const b = await server.baseline(part(items, r));
      const before = await server.stats('start');
      const these = part(logins, r);
      fired.push(await fire(base, these, plan.connections));
      const after = await server.stats('stop');
      const cpu = after.cpu_us - before.cpu_us;
      // The framework floor, right after: as many requests, the same body size and connections.
      await fireFloor(base, these[0]!.body, these.length, plan.connections);
      const floor = (await server.stats()).cpu_us - after.cpu_us;
      floorCpuUs += floor;
      samlkitRatios.push((cpu - floor) / these.length / (b.cpu_us / Math.max(1, b.validated)));
      acsGcMs += after.gc_ms - before.gc_ms;
      baseGcMs += b.gc_ms;
      acsCpuUs += cpu;
      baseCpuUs += b.cpu_us;
      validated += b.validated;
      roundRatios.push(cpu / these.length / (b.cpu_us / Math.max(1, b.validated)));
      if (r === rounds - 1) {
        for (const [k, v] of Object.entries(after.logged)) {
          const d = v - (first.logged[k] ?? 0);
          if (d > 0) logged[k] = d;
        }
      }
    }
    const finishable = fired
      .map((f) => f.finishable)
      .filter((f) => f !== undefined)
      .at(-1);
    const run: Fired = {
      answered: fired.reduce((n, f) => n + f.answered, 0),
      ok: fired.reduce((n, f) => n + f.ok, 0),
      errorKinds: fired.reduce<Record<string, number>>((all, f) => {
        for (const [k, v] of Object.entries(f.errorKinds)) all[k] = (all[k] ?? 0) + v;
        return all;
      }, {}),
      latencies: fired.flatMap((f) => f.latencies),
      elapsedMs: fired.reduce((n, f) => n + f.elapsedMs, 0),
      ...(finishable !== undefined && { finishable }),
    };
    if (!run.finishable) throw new Error('no request of the timed run was accepted');
    // A login of the timed run finishes: the timed answers were real logins.
    await finish(base, run.finishable.path, run.finishable.loginCookie);
    const validateCpuMs = baseCpuUs / 1000 / Math.max(1, validated);
    const acsCpuMs = acsCpuUs / 1000 / logins.length;
    const floorCpuMs = floorCpuUs / 1000 / logins.length;
    const sorted = run.latencies.slice().sort((a, b) => a - b);
    const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
    const sample = logins[0]!;
    const result: AcsE2eTimed = {
      status: 'timed',
      server: server.server,
      connections: Math.min(plan.connections, logins.length),
      requests: logins.length,
      warmup_requests: warmup.length,
      requests_per_s: round3(run.answered / (run.elapsedMs / 1000)),
      p50_ms: round4(percentile(sorted, 50)),
      p99_ms: round4(percentile(sorted, 99)),
      mean_ms: round4(mean),
      max_ms: round4(sorted[sorted.length - 1] ?? Number.NaN),
      errors: logins.length - run.ok,
      error_kinds: run.errorKinds,
      server_cpu_ms_per_request: round4(acsCpuMs),
      validate_response_cpu_ms: round4(validateCpuMs),
      validate_response_runs: validated,
      server_gc_ms_per_request: round4(acsGcMs / logins.length),
      validate_response_gc_ms: round4(baseGcMs / Math.max(1, validated)),
      acs_vs_validate_response: round3(acsCpuMs / validateCpuMs),
      framework_floor_cpu_ms_per_request: round4(floorCpuMs),
      samlkit_cpu_ms_per_request: round4(acsCpuMs - floorCpuMs),
      samlkit_vs_validate_response: round3((acsCpuMs - floorCpuMs) / validateCpuMs),
      samlkit_vs_validate_response_by_round: samlkitRatios.map(round3),
      rounds,
      acs_vs_validate_response_by_round: roundRatios.map(round3),
      acs_vs_validate_response_target: 1.3,
      server_logged: logged,
      response_bytes: Buffer.byteLength(sample.xml, 'utf8'),
      body_bytes: Buffer.byteLength(sample.body, 'utf8'),
      checks: { ...checks, finish_after_run: true },
    };
    log(
      `${adapter}: ${result.requests} requests, ${result.connections} connections: ${result.requests_per_s} req/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, errors ${result.errors}; server CPU ${result.server_cpu_ms_per_request} ms (framework floor ${result.framework_floor_cpu_ms_per_request}), validateResponse ${result.validate_response_cpu_ms} ms: ${result.acs_vs_validate_response} (samlkit's part ${result.samlkit_vs_validate_response})`,
    );
    return result;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const [modeArg, outPath] = process.argv.slice(2);
  if ((modeArg !== 'full' && modeArg !== 'smoke') || !outPath) {
    throw new Error('usage: acs-e2e <full|smoke> <out.json>');
  }
  const planned = acsPlan(modeArg as Mode);
  const n = Number(process.env['ACS_REQUESTS'] ?? 0);
  const plan: AcsPlan =
    Number.isInteger(n) && n > 0
      ? { ...planned, requests: n, warmupRequests: Math.ceil(n / 10) }
      : planned;
  const idpKeys = await generateTestKeys({ alg: 'rsa2048', subject: 'bench acs idp' });
  const spKeys = await generateTestKeys({ alg: 'rsa2048', subject: 'bench acs sp' });
  const idp = await createTestIdp({
    entityId: IDP_ENTITY_ID,
    baseUrl: IDP_BASE,
    keys: idpKeys,
    ssoBindings: ['redirect'],
  });
  const config: ServerConfig = {
    spBase: SP_BASE,
    spKeyPem: spKeys.privateKeyPem,
    spCertPem: spKeys.certificatePem,
    idpEntityId: IDP_ENTITY_ID,
    idpBase: IDP_BASE,
    idpCertPem: idpKeys.certificatePem,
  };
  const adapters: Record<string, AcsE2eAdapterResult> = {};
  const only = process.env['ACS_ADAPTERS']?.split(',');
  for (const adapter of ACS_ADAPTERS.filter((a) => !only || only.includes(a))) {
    const name = `@samlkit/${adapter}`;
    try {
      adapters[name] = await runAdapter(adapter, config, idp, plan);
    } catch (e) {
      // One adapter failing does not lose the others' figures; the reason is recorded.
      log(`${adapter}: not run: ${(e as Error).message}`);
      adapters[name] = { status: 'not-run', reason: (e as Error).message.split('\n')[0]! };
    }
  }
  log('in process: the ACS (ServiceProvider.handle) against validateResponse, without HTTP…');
  let inProcess: AcsE2eResult['in_process'];
  try {
    inProcess = await measureAcsInProcess(config, idp, modeArg as Mode);
    log(
      `in process: ACS ${inProcess.acs_cpu_ms} ms, validateResponse ${inProcess.validate_response_cpu_ms} ms: ${inProcess.acs_vs_validate_response}`,
    );
  } catch (e) {
    log(`in process: not run: ${(e as Error).message}`);
    inProcess = { status: 'not-run', reason: (e as Error).message.split('\n')[0]! };
  }
  const result: AcsE2eResult = { adapters, in_process: inProcess };
  writeFileSync(outPath, JSON.stringify(result, null, 2));
}

runMain('acs-e2e', main);
