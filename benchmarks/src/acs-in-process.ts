// The ACS without HTTP: the same SP as the adapters' servers (src/acs-sp.ts) handles each IdP POST
// as a web Request with its body attached (what the Node adapters hand it), in this process, one
// request after the other, against validateResponse alone on Responses of the same kind. Batches
// of the two alternate (the order flips every round), each on fresh logins, so that both meet the
// same heap and clock. What the ACS costs over validation here is samlkit's own work — the form,
// base64, the store, the finish code, the 303 — without the HTTP server, the framework or the
// translation between Node and web requests, which the end-to-end figures include.

import { attachRequestBody, createServiceProvider, validateResponse } from '@samlkit/core';
import { nodeCryptoProvider } from '@samlkit/node-bridge';
import type { TestIdp } from '@samlkit/testkit';
import {
  acsServiceProviderOptions,
  acsValidationOptions,
  idpAnswer,
  type ServerConfig,
} from './acs-sp.js';
import type { Mode } from './plans.js';
import { round3, round4 } from './timing.js';

/** What `acs_in_process` holds in latest.json. */
export interface AcsInProcessResult {
  /** CPU ms per IdP POST handled by `ServiceProvider.handle` (303 to the finish step). */
  readonly acs_cpu_ms: number;
  /** CPU ms per validateResponse of the same kind of Response. */
  readonly validate_response_cpu_ms: number;
  readonly acs_vs_validate_response: number;
  readonly acs_vs_validate_response_by_round: number[];
  /** Rounds, each one batch of either, and the logins per batch. */
  readonly rounds: number;
  readonly batch: number;
  /** The crypto provider both used: the Node adapters' one. */
  readonly crypto: string;
}

interface Login {
  readonly body: Uint8Array;
  readonly xml: string;
  readonly inResponseTo: string;
}

/** Runs the comparison; throws when a login is not answered 303 (nothing timed is a refusal). */
export async function measureAcsInProcess(
  config: ServerConfig,
  idp: TestIdp,
  mode: Mode,
): Promise<AcsInProcessResult> {
  const crypto = nodeCryptoProvider();
  const provider = createServiceProvider({ ...acsServiceProviderOptions(config), crypto });
  const base = config.spBase;
  const prepare = async (n: number): Promise<Login[]> => {
    const out: Login[] = [];
    for (let i = 0; i < n; i++) {
      const started = await provider.handle(new Request(`${base}/saml/login?returnTo=%2Fprofile`));
      const location = started?.headers.get('location') ?? '';
      const { form, xml } = await idpAnswer(idp, location);
      out.push({
        body: new TextEncoder().encode(form),
        xml,
        inResponseTo: /\bInResponseTo="([^"]+)"/.exec(xml)?.[1] ?? '',
      });
    }
    return out;
  };
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const run = {
    acs: async (l: Login) => {
      const request = new Request(`${base}/saml/acs`, { method: 'POST', headers });
      const answer = await provider.handle(attachRequestBody(request, l.body));
      if (answer?.status !== 303) throw new Error(`the ACS answered ${answer?.status}`);
    },
    validate: async (l: Login) => {
      await validateResponse(l.xml, acsValidationOptions(config, l.inResponseTo, crypto));
    },
  };
  const batch = mode === 'smoke' ? 10 : 300;
  const rounds = mode === 'smoke' ? 2 : 8;
  // Warm-up: both paths compiled before anything is timed.
  for (const kind of ['validate', 'acs'] as const) {
    for (const l of await prepare(mode === 'smoke' ? 5 : 100)) await run[kind](l);
  }
  const total = { acs: 0, validate: 0 };
  const byRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const per = { acs: 0, validate: 0 };
    for (const kind of r % 2 === 0
      ? (['validate', 'acs'] as const)
      : (['acs', 'validate'] as const)) {
      const logins = await prepare(batch);
      const start = process.cpuUsage();
      for (const l of logins) await run[kind](l);
      const cpu = process.cpuUsage(start);
      per[kind] = (cpu.user + cpu.system) / 1000 / batch;
      total[kind] += per[kind];
    }
    byRound.push(per.acs / per.validate);
  }
  return {
    acs_cpu_ms: round4(total.acs / rounds),
    validate_response_cpu_ms: round4(total.validate / rounds),
    acs_vs_validate_response: round3(total.acs / total.validate),
    acs_vs_validate_response_by_round: byRound.map(round3),
    rounds,
    batch,
    crypto: "node:crypto digests and signature checks (the Node adapters' provider)",
  };
}
