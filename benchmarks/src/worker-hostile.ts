// Time to refusal of hostile inputs, for one library, shape after shape in one process. Each timed
// call starts from the value as the endpoint receives it (the base64 SAMLResponse form field for
// the POST binding, the whole URL for the Redirect binding) and ends when the library refuses it.
// Prints one JSON line per event on stdout, so the parent keeps what was measured even when it
// has to stop a shape that takes too long (and restarts this worker for the shapes after it).
// Usage: node --import tsx src/worker-hostile.ts <fixtures.json> <hostile.json> <library> <full|smoke> <shape,…>
// (`valid` is the valid baseline of the same size: time to accept.)

import { readFileSync } from 'node:fs';
import type { Validate } from './contender.js';
import { CONTENDER_LOADERS } from './contenders/index.js';
import { type Fixtures, readFixtures } from './fixtures.js';
import type { HostileFixtures, HostileInput, HostileShape } from './hostile-generate.js';
import { HOSTILE_SHAPE_INFO } from './hostile-generate.js';
import type { Mode } from './plans.js';
import { runMain } from './run-main.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** One line of the worker's output. */
export type HostileEvent =
  | { readonly event: 'start'; readonly shape: string }
  | {
      readonly event: 'sample';
      readonly shape: string;
      readonly ms: number;
      /** `refused` (the library threw) or `accepted`. */
      readonly outcome: 'refused' | 'accepted';
      /** samlkit: the SamlError code; peers: the start of the error message. */
      readonly code: string;
    }
  | { readonly event: 'done'; readonly shape: string }
  | { readonly event: 'unsupported'; readonly shape: string; readonly reason: string };

export interface HostileSamplingPlan {
  /** Unmeasured runs before sampling (fewer when they take long; see below). */
  readonly warmupRuns: number;
  /** A warm-up run slower than this is counted as a sample instead (JIT is not the issue then). */
  readonly warmupCapMs: number;
  readonly maxRuns: number;
  /** Sampling stops once this much time was spent measuring (after at least one run). */
  readonly budgetMs: number;
}

export function hostileSamplingPlan(mode: Mode): HostileSamplingPlan {
  return mode === 'smoke'
    ? { warmupRuns: 1, warmupCapMs: 200, maxRuns: 2, budgetMs: 200 }
    : { warmupRuns: 3, warmupCapMs: 500, maxRuns: 25, budgetMs: 3000 };
}

function emit(e: HostileEvent): void {
  process.stdout.write(`${JSON.stringify(e)}\n`);
}

/** A one-line description of what a refusal says: samlkit's code, or a peer's message. */
function refusalCode(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) return code;
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return message.replace(/\s+/g, ' ').slice(0, 120);
}

type Call = (input: string) => Promise<unknown>;

/** The Redirect-binding decoder of each library, as an SLO endpoint would call it. */
async function redirectDecoder(library: string, f: Fixtures): Promise<Call | string> {
  if (library === 'samlkit') {
    const { decodeRedirect } = await import('@samlkit/core');
    return (url) => decodeRedirect(url);
  }
  const query = (url: string) => url.slice(url.indexOf('?') + 1);
  const samlRequest = (q: string) => /(?:^|&)SAMLRequest=([^&]*)/.exec(q)![1]!;
  if (library === '@node-saml/node-saml') {
    const { SAML } = await import('@node-saml/node-saml');
    const saml = new SAML({
      callbackUrl: f.acsUrl,
      entryPoint: 'https://idp.bench.example/sso',
      issuer: f.spEntityId,
      idpCert: f.idpRsaCertPem,
      idpIssuer: f.idpEntityId,
    });
    // Its Express integration passes req.query (decoded) and the raw query string.
    return (url) => {
      const q = query(url);
      return saml.validateRedirectAsync({ SAMLRequest: decodeURIComponent(samlRequest(q)) }, q);
    };
  }
  if (library === 'samlify') {
    const samlify = await import('samlify');
    const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
    const idp = samlify.IdentityProvider({
      entityID: f.idpEntityId,
      signingCert: f.idpRsaCertPem,
      singleSignOnService: [{ Binding: REDIRECT, Location: 'https://idp.bench.example/sso' }],
      singleLogoutService: [{ Binding: REDIRECT, Location: 'https://idp.bench.example/slo' }],
    });
    const sp = samlify.ServiceProvider({
      entityID: f.spEntityId,
      singleLogoutService: [{ Binding: REDIRECT, Location: 'https://sp.bench.example/saml/slo' }],
    });
    // samlify URL-decodes the value itself (redirectFlow → inflateString(decodeURIComponent(…))).
    return (url) => {
      const q = query(url);
      return sp.parseLogoutRequest(idp, 'redirect', {
        query: { SAMLRequest: samlRequest(q) },
        octetString: q,
      });
    };
  }
  return `${library}: no Redirect decoder wired in this benchmark`;
}

async function main(): Promise<void> {
  const [fixturesPath, hostilePath, library, modeArg, shapeList] = process.argv.slice(2);
  if (!fixturesPath || !hostilePath || !library || !modeArg || !shapeList) {
    throw new Error(
      'usage: worker-hostile <fixtures.json> <hostile.json> <library> <full|smoke> <shape,…>',
    );
  }
  const f = readFixtures(fixturesPath);
  const h = JSON.parse(readFileSync(hostilePath, 'utf8')) as HostileFixtures;
  const plan = hostileSamplingPlan(modeArg as Mode);
  const loader = CONTENDER_LOADERS[library];
  if (!loader) throw new Error(`unknown library ${library}`);
  const validatePost: Validate = await (await loader()).prepare(f, 'rsa-assertion');
  let decodeRedirectCall: Call | string | undefined;

  for (const shape of shapeList.split(',')) {
    emit({ event: 'start', shape });
    let input: HostileInput;
    let call: Call;
    if (shape === 'valid') {
      input = h.valid;
      call = async (value) => {
        const nameId = await validatePost(value);
        if (nameId !== f.nameId) throw new Error(`valid baseline: wrong NameID ${nameId}`);
      };
    } else {
      const info = HOSTILE_SHAPE_INFO[shape as HostileShape];
      if (!info) throw new Error(`unknown shape ${shape}`);
      input = h.shapes[shape as HostileShape];
      if (info.binding === 'redirect') {
        decodeRedirectCall ??= await redirectDecoder(library, f);
        if (typeof decodeRedirectCall === 'string') {
          emit({ event: 'unsupported', shape, reason: decodeRedirectCall });
          continue;
        }
        call = decodeRedirectCall;
      } else {
        call = validatePost;
      }
    }
    const once = async () => {
      gc?.();
      const t0 = performance.now();
      let outcome: 'refused' | 'accepted' = 'accepted';
      let code = 'accepted';
      try {
        await call(input.input);
      } catch (e) {
        outcome = 'refused';
        code = refusalCode(e);
      }
      const ms = performance.now() - t0;
      // The valid baseline must be accepted: a refusal there is a harness error, not a figure.
      if (shape === 'valid' && outcome !== 'accepted') {
        throw new Error(`${library} refused the valid baseline: ${code}`);
      }
      return { ms, outcome, code };
    };

    let warmTime = 0;
    let sampled = 0;
    let spent = 0;
    for (let i = 0; i < plan.warmupRuns && warmTime < 1000; i++) {
      const r = await once();
      warmTime += r.ms;
      if (r.ms > plan.warmupCapMs) {
        // So slow that warming up the JIT does not matter: keep it as a sample.
        emit({ event: 'sample', shape, ...r });
        sampled++;
        spent += r.ms;
        break;
      }
    }
    while (sampled < plan.maxRuns && (sampled === 0 || spent < plan.budgetMs)) {
      const r = await once();
      emit({ event: 'sample', shape, ...r });
      sampled++;
      spent += r.ms;
    }
    emit({ event: 'done', shape });
  }
}

runMain('worker-hostile', main);
