import {
  type LogoutValidationOptions,
  loadPublicKey,
  parseLogoutRequest,
  parseLogoutResponse,
  validateLogoutRequest,
  validateLogoutResponse,
} from '@samlkit/core';
import { expect, it } from 'vitest';
import { describeWithFixtures, sharedFixtures } from '../../../../test/support/fixtures.js';
import { expectCode } from './support.js';

// Golden files: real SimpleSAMLphp 1.19 logout messages and their signed Redirect query strings.
const fx = sharedFixtures('interop', ['manifest.json']);

interface LogoutEntry {
  file: string;
  signed_query_string: string;
  cert_file: string;
  root: 'LogoutRequest' | 'LogoutResponse';
  id: string;
  issue_instant: string;
  destination: string;
  in_response_to: string | null;
  issuer: string;
  status?: string;
  name_id?: { value: string; format: string };
  session_index?: string[];
  not_on_or_after?: string;
}

function entries(): LogoutEntry[] {
  const manifest = fx.json<{ logout?: LogoutEntry[]; local_simplesamlphp?: LogoutEntry[] }>(
    'manifest.json',
  );
  const all = [
    ...(manifest.logout ?? []),
    ...(manifest.local_simplesamlphp ?? []),
  ] as LogoutEntry[];
  return all.filter((e) => e.file.startsWith('logout/'));
}

function read(path: string): string {
  return fx.read(path).trim();
}

function options(
  e: LogoutEntry,
  extra: Partial<LogoutValidationOptions> = {},
): LogoutValidationOptions {
  return {
    sp: { singleLogoutServices: [{ binding: 'redirect', location: e.destination }] },
    idp: { entityId: e.issuer, signingKeys: [loadPublicKey(read(e.cert_file))] },
    now: Date.parse(e.issue_instant) + 1000,
    ...extra,
  };
}

describeWithFixtures(fx, 'SimpleSAMLphp logout messages', () => {
  it('has both a LogoutRequest and a LogoutResponse to test', () => {
    const roots = entries().map((e) => e.root);
    expect(roots).toContain('LogoutRequest');
    expect(roots).toContain('LogoutResponse');
  });

  it('validates the signed Redirect LogoutRequest and reads what the manifest says', async () => {
    for (const e of entries().filter((x) => x.root === 'LogoutRequest')) {
      const query = read(e.signed_query_string);
      const result = await validateLogoutRequest({ binding: 'redirect', query }, options(e));
      expect(result.id).toBe(e.id);
      expect(result.issuer).toBe(e.issuer);
      expect(result.nameId.value).toBe(e.name_id!.value);
      expect(result.nameId.format).toBe(e.name_id!.format);
      expect(result.sessionIndexes).toEqual(e.session_index);
      expect(result.notOnOrAfter).toBe(Date.parse(e.not_on_or_after!));
      expect(result.signature?.method).toBe('query');
      expect(result.relayState).toBeDefined();
      // The XML file is the same message.
      expect(parseLogoutRequest(read(e.file)).id).toBe(e.id);

      // And every refusal applies to it.
      await expectCode(
        validateLogoutRequest(
          { binding: 'redirect', query },
          options(e, { now: Date.parse(e.not_on_or_after!) + 200_000 }),
        ),
        'EXPIRED',
      );
      await expectCode(
        validateLogoutRequest(
          { binding: 'redirect', query },
          options(e, {
            idp: {
              entityId: 'https://someone-else',
              signingKeys: [loadPublicKey(read(e.cert_file))],
            },
          }),
        ),
        'ISSUER_MISMATCH',
      );
      await expectCode(
        validateLogoutRequest(
          { binding: 'redirect', query },
          options(e, {
            sp: {
              singleLogoutServices: [{ binding: 'redirect', location: 'https://sp.example/slo' }],
            },
          }),
        ),
        'DESTINATION_MISMATCH',
      );
      const tampered = query.replace(/RelayState=_/, 'RelayState=X');
      await expectCode(
        validateLogoutRequest({ binding: 'redirect', query: tampered }, options(e)),
        'SIGNATURE_INVALID',
      );
      const unsigned = query.replace(/&SigAlg=.*$/, '');
      await expectCode(
        validateLogoutRequest({ binding: 'redirect', query: unsigned }, options(e)),
        'SIGNATURE_MISSING',
      );
    }
  });

  it('validates the signed Redirect LogoutResponse against the request it answers', async () => {
    for (const e of entries().filter((x) => x.root === 'LogoutResponse')) {
      const query = read(e.signed_query_string);
      const result = await validateLogoutResponse(
        { binding: 'redirect', query },
        { ...options(e), inResponseTo: e.in_response_to! },
      );
      expect(result.id).toBe(e.id);
      expect(result.status.code).toBe(e.status);
      expect(result.status.success).toBe(true);
      expect(result.inResponseTo).toBe(e.in_response_to);
      expect(parseLogoutResponse(read(e.file)).inResponseTo).toBe(e.in_response_to);
      await expectCode(
        validateLogoutResponse(
          { binding: 'redirect', query },
          { ...options(e), inResponseTo: '_another' },
        ),
        'IN_RESPONSE_TO_MISMATCH',
      );
    }
  });
});
