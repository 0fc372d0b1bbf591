// samlkit's other hot paths, in one process: AuthnRequest + Redirect encoding, Redirect decoding
// + query-signature check, IdP metadata parsing, store operations.
// Usage: node --import tsx src/worker-ops.ts <fixtures.json> <full|smoke> <out.json>

import { writeFileSync } from 'node:fs';
import * as core from '@samlkit/core';
import { readFixtures } from './fixtures.js';
import type { Mode } from './plans.js';
import { redisStoreTasks } from './redis-hook.js';
import { runMain } from './run-main.js';
import { measureInterleaved, type TimedTask, type TimingPlan, type TimingStats } from './timing.js';

export interface OpsResult {
  readonly operations: Record<string, TimingStats & { readonly description: string }>;
  /** Benchmarks that could not run, with the reason. */
  readonly not_run: Record<string, string>;
}

function idpMetadataXml(entityId: string, certPems: readonly string[]): string {
  const certs = certPems
    .map(
      (pem) =>
        `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pem
          .replace(/-----[^-]+-----/g, '')
          .replace(/\s+/g, '')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    )
    .join('');
  const base = 'https://idp.bench.example';
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">${certs}
<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${base}/slo"/>
<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${base}/slo"/>
<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${base}/sso"/>
<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${base}/sso"/>
</md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

/** Rejects when `p` has not settled within `ms`. */
function withTimeout<T>(p: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

async function main(): Promise<void> {
  const [fixturesPath, modeArg, outPath] = process.argv.slice(2);
  if (!fixturesPath || !modeArg || !outPath) {
    throw new Error('usage: worker-ops <fixtures.json> <full|smoke> <out.json>');
  }
  const mode = modeArg as Mode;
  const f = readFixtures(fixturesPath);
  const plan: TimingPlan =
    mode === 'smoke'
      ? { rounds: 1, roundMs: 20, minIterations: 3, warmupMs: 10, warmupIterations: 1 }
      : { rounds: 5, roundMs: 400, minIterations: 50, warmupMs: 400, warmupIterations: 50 };
  const spKey = core.loadPrivateKey(f.spPrivateKeyPem);
  const spPublic = core.loadPublicKey(f.spCertPem);
  const now = f.now;
  const idpSso = 'https://idp.bench.example/sso';
  const tasks: (TimedTask & { description: string })[] = [];
  const notRun: Record<string, string> = {};

  const newRequest = () =>
    core.createAuthnRequest({
      issuer: f.spEntityId,
      destination: idpSso,
      assertionConsumerServiceUrl: f.acsUrl,
      protocolBinding: 'post',
      now,
    });
  tasks.push({
    name: 'authn-request: create + Redirect encode (signed, rsa-sha256)',
    description:
      'createAuthnRequest, then encodeRedirect with RelayState and an RSA-2048 query signature',
    fn: async () => {
      const req = newRequest();
      await core.encodeRedirect({
        destination: idpSso,
        type: 'SAMLRequest',
        xml: req.xml,
        relayState: '/profile',
        sign: { key: spKey },
      });
    },
  });
  tasks.push({
    name: 'authn-request: create + Redirect encode (unsigned)',
    description: 'createAuthnRequest, then encodeRedirect (DEFLATE + base64 + URL) with RelayState',
    fn: async () => {
      const req = newRequest();
      await core.encodeRedirect({
        destination: idpSso,
        type: 'SAMLRequest',
        xml: req.xml,
        relayState: '/profile',
      });
    },
  });

  const redirectName = 'redirect: decode + query-signature check';
  try {
    const signedUrl = await core.encodeRedirect({
      destination: idpSso,
      type: 'SAMLRequest',
      xml: newRequest().xml,
      relayState: '/profile',
      sign: { key: spKey },
    });
    // Checked once before timing, with a time limit: a valid signature verifies and a changed
    // RelayState does not.
    await withTimeout(
      core.verifyRedirectSignature(await withTimeout(core.decodeRedirect(signedUrl)), {
        keys: [spPublic],
      }),
    );
    const forged = signedUrl.replace('RelayState=%2Fprofile', 'RelayState=%2Fadmin');
    if (forged === signedUrl) throw new Error('could not forge the Redirect URL');
    const forgedOk = await withTimeout(
      core
        .verifyRedirectSignature(await withTimeout(core.decodeRedirect(forged)), {
          keys: [spPublic],
        })
        .then(() => true)
        .catch(() => false),
    );
    if (forgedOk) throw new Error('verifyRedirectSignature accepted a changed RelayState');
    tasks.push({
      name: redirectName,
      description:
        'decodeRedirect (parse query, inflate, parse XML) and verifyRedirectSignature (RSA-2048)',
      fn: async () => {
        const decoded = await core.decodeRedirect(signedUrl);
        await core.verifyRedirectSignature(decoded, { keys: [spPublic] });
      },
    });
  } catch (e) {
    notRun[redirectName] = `failed its pre-check: ${(e as Error).message}`;
  }

  const parseIdpMetadata = (core as Record<string, unknown>)['parseIdpMetadata'] as
    | ((xml: string, o: { now: number }) => Promise<{ entityId: string }>)
    | undefined;
  if (typeof parseIdpMetadata === 'function') {
    const xml = idpMetadataXml(f.idpEntityId, [f.idpRsaCertPem, f.idpEcCertPem]);
    const parsed = await parseIdpMetadata(xml, { now });
    if (parsed.entityId !== f.idpEntityId) throw new Error('parseIdpMetadata: wrong entityId');
    tasks.push({
      name: 'metadata: parse IdP metadata',
      description:
        'parseIdpMetadata of an EntityDescriptor with 2 signing certificates, SSO and SLO endpoints',
      fn: () => parseIdpMetadata(xml, { now }),
    });
  } else {
    notRun['metadata: parse IdP metadata'] = '@samlkit/core does not export parseIdpMetadata yet';
  }

  const memory = new core.MemoryStore();
  let replayStore = new core.MemoryStore();
  let remembered = 0;
  let n = 0;
  tasks.push({
    name: 'store (memory): put + take pending request',
    description: 'MemoryStore putPendingRequest then takePendingRequest (take-once)',
    fn: async () => {
      const id = `_r${n++}`;
      await memory.putPendingRequest(
        id,
        { id, kind: 'authn', createdAt: now, idpEntityId: f.idpEntityId },
        Date.now() + 600_000,
      );
      if (!(await memory.takePendingRequest(id))) throw new Error('pending request lost');
    },
  });
  tasks.push({
    name: 'store (memory): rememberOnce',
    description: 'MemoryStore rememberOnce of a new replay-cache key',
    fn: async () => {
      // A fresh store every 50 000 keys keeps it below its entry cap (eviction is not measured).
      if (++remembered % 50_000 === 0) replayStore = new core.MemoryStore();
      if (
        !(await replayStore.rememberOnce(
          `assertion:${f.idpEntityId}:_a${n++}`,
          Date.now() + 600_000,
        ))
      ) {
        throw new Error('rememberOnce refused a new key');
      }
    },
  });
  tasks.push({
    name: 'store (memory): put + get + delete session',
    description: 'MemoryStore putSession, getSession, deleteSession (maintains the SLO index)',
    fn: async () => {
      const id = `s${n++}`;
      await memory.putSession({
        id,
        issuer: f.idpEntityId,
        nameId: f.nameId,
        sessionIndex: id,
        attributes: { mail: [f.nameId] },
        createdAt: now,
        expiresAt: Date.now() + 3_600_000,
      });
      if (!(await memory.getSession(id))) throw new Error('session lost');
      await memory.deleteSession(id);
    },
  });

  const redis = await redisStoreTasks(f, now);
  tasks.push(...redis.tasks);
  Object.assign(notRun, redis.notRun);

  try {
    const stats = await measureInterleaved(tasks, plan);
    const operations: OpsResult['operations'] = {};
    for (const t of tasks)
      operations[t.name] = { description: t.description, ...stats.get(t.name)! };
    const result: OpsResult = { operations, not_run: notRun };
    writeFileSync(outPath, JSON.stringify(result, null, 2));
  } finally {
    await redis.stop();
  }
}

runMain('worker-ops', main);
