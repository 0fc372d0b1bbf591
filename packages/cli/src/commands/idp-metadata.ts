import {
  BINDINGS,
  type Endpoint,
  fetchMetadataXml,
  findExpiryWarnings,
  fingerprint,
  type IdpMetadata,
  loadPublicKeys,
  type PublicKey,
  parseIdpMetadata,
} from '@samlkit/core';
import { type CliIo, type Command, stringFlag, UsageError } from '../command.js';

const usage = `Usage: samlkit idp-metadata <file | URL> [options]

Summarises an IdP's SAML 2.0 metadata: entity ID, validity, endpoints per binding, NameID
formats, signing and encryption certificates with subject, SHA-256 fingerprint and expiry, and
warnings (a certificate that expires soon, metadata near its validUntil). Use it to check what
an IdP publishes before pasting its metadata URL into the SP configuration.

Options:
  --entity-id ID     the IdP to pick from a federation aggregate (EntitiesDescriptor)
  --pin-cert FILE    verify the metadata's signature with this certificate (repeatable)
  --now ISO-8601     evaluate validity at this instant (default: now)
  --warn-days N      warn about certificates expiring within N days (default 30)
  --max-size BYTES   largest document accepted (default 1048576; aggregates need more)
  --json             print the summary as JSON
  -h, --help         show this help

Exit codes: 0 success, 1 failure ({"code", "message"} on stdout), 2 usage error.
`;

const DAY = 86_400_000;

function bindingLabel(e: Endpoint): string {
  return BINDINGS[e.binding].replace(/^urn:oasis:names:tc:SAML:2\.0:bindings:/, '');
}

async function load(ref: string, io: CliIo): Promise<string> {
  if (/^https?:\/\//i.test(ref)) return fetchMetadataXml(ref, { fetch: io.fetch });
  try {
    return await io.readFile(ref);
  } catch (err) {
    throw new UsageError(`cannot read ${JSON.stringify(ref)}: ${(err as Error).message}`);
  }
}

export function parseNow(text: string | undefined, io: CliIo): number {
  if (text === undefined) return io.now().getTime();
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(ms))
    throw new UsageError(`--now needs an ISO-8601 instant, not ${JSON.stringify(text)}`);
  return ms;
}

export function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text))
    throw new UsageError(`--${flag} needs a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

function inDays(ms: number, now: number): string {
  const d = Math.floor((ms - now) / DAY);
  if (ms <= now) return 'EXPIRED';
  if (d === 0) return 'expires today';
  return `expires in ${d} day${d === 1 ? '' : 's'}`;
}

async function describeKeys(keys: readonly PublicKey[], now: number) {
  return Promise.all(
    keys.map(async (k) => {
      const c = k.certificate;
      return {
        keyType: k.keyType === 'EC' ? `EC ${k.namedCurve}` : 'RSA',
        subject: c?.subject ?? null,
        issuer: c?.issuer ?? null,
        sha256: c ? await fingerprint(c.der) : await fingerprint(k.spki),
        fingerprintOf: c ? 'certificate' : 'public key',
        notBefore: c?.notBefore.toISOString() ?? null,
        notAfter: c?.notAfter.toISOString() ?? null,
        status: c ? inDays(c.notAfter.getTime(), now) : 'bare key (no certificate)',
      };
    }),
  );
}

async function summarise(idp: IdpMetadata, now: number, warnDays: number) {
  const endpoints = (list: readonly Endpoint[] | undefined) =>
    (list ?? []).map((e) => ({
      binding: bindingLabel(e),
      location: e.location,
      ...(e.responseLocation ? { responseLocation: e.responseLocation } : {}),
      ...(e.index !== undefined ? { index: e.index } : {}),
    }));
  return {
    entityId: idp.entityId,
    validUntil: idp.validUntil === undefined ? null : new Date(idp.validUntil).toISOString(),
    cacheDurationSeconds: idp.cacheDuration === undefined ? null : idp.cacheDuration / 1000,
    signatureVerified: idp.signatureVerified,
    wantAuthnRequestsSigned: idp.wantAuthnRequestsSigned,
    singleSignOnServices: endpoints(idp.singleSignOnServices),
    singleLogoutServices: endpoints(idp.singleLogoutServices),
    artifactResolutionServices: endpoints(idp.artifactResolutionServices),
    nameIdFormats: idp.nameIdFormats,
    signingCertificates: await describeKeys(idp.signingKeys, now),
    encryptionCertificates: await describeKeys(idp.encryptionKeys, now),
    warnings: findExpiryWarnings({ idp, now, withinDays: warnDays, metadataWithinDays: 7 }).map(
      (w) => w.message,
    ),
  };
}

type Summary = Awaited<ReturnType<typeof summarise>>;

function render(s: Summary, now: number): string {
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`${k.padEnd(26)}${v}`);
  row('Entity ID', s.entityId);
  row(
    'Valid until',
    s.validUntil ? `${s.validUntil} (${inDays(Date.parse(s.validUntil), now)})` : 'not set',
  );
  if (s.cacheDurationSeconds !== null) row('Cache duration', `${s.cacheDurationSeconds} s`);
  row(
    'Metadata signature',
    s.signatureVerified ? 'verified with the pinned certificate' : 'not checked (use --pin-cert)',
  );
  row('WantAuthnRequestsSigned', s.wantAuthnRequestsSigned ? 'yes' : 'no');
  const section = (title: string, items: Summary['singleSignOnServices']) => {
    lines.push('', `${title}:`);
    if (items.length === 0) lines.push('  (none)');
    for (const e of items) {
      lines.push(
        `  ${e.binding.padEnd(22)}${e.location}${e.responseLocation ? `  (responses: ${e.responseLocation})` : ''}`,
      );
    }
  };
  section('Single sign-on', s.singleSignOnServices);
  section('Single logout', s.singleLogoutServices);
  if (s.artifactResolutionServices.length)
    section('Artifact resolution', s.artifactResolutionServices);
  lines.push('', 'NameID formats:');
  if (s.nameIdFormats.length === 0) lines.push('  (none listed)');
  for (const f of s.nameIdFormats) lines.push(`  ${f}`);
  const certs = (title: string, list: Summary['signingCertificates']) => {
    lines.push('', `${title} (${list.length}):`);
    if (list.length === 0) lines.push('  (none)');
    for (const [i, c] of list.entries()) {
      lines.push(`  ${i + 1}. ${c.subject ?? '(bare public key)'}  [${c.keyType}]`);
      lines.push(`     SHA-256 ${c.sha256}`);
      if (c.notAfter) lines.push(`     valid ${c.notBefore} to ${c.notAfter} (${c.status})`);
    }
  };
  certs('Signing certificates', s.signingCertificates);
  certs('Encryption certificates', s.encryptionCertificates);
  lines.push('', 'Warnings:');
  if (s.warnings.length === 0) lines.push('  (none)');
  for (const w of s.warnings) lines.push(`  ! ${w}`);
  return `${lines.join('\n')}\n`;
}

/**
 * IdP metadata as `samlkit idp-metadata` prints it (also for `samlkit federation --entity-id`).
 * @param idp - the parsed metadata
 * @param now - the instant validity is evaluated at (epoch ms)
 * @param warnDays - warn about certificates expiring within this many days
 * @param json - JSON instead of text
 * @returns the text to print
 */
export async function describeIdpMetadata(
  idp: IdpMetadata,
  now: number,
  warnDays: number,
  json: boolean,
): Promise<string> {
  const summary = await summarise(idp, now, warnDays);
  return json ? `${JSON.stringify(summary, null, 2)}\n` : render(summary, now);
}

const command: Command = {
  summary: 'summarise IdP metadata: endpoints, certificates, expiry warnings',
  usage,
  maxPositionals: 1,
  options: {
    'entity-id': { type: 'string' },
    'pin-cert': { type: 'string', multiple: true },
    now: { type: 'string' },
    'warn-days': { type: 'string' },
    'max-size': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const ref = args.positionals[0];
    if (ref === undefined) throw new UsageError('give the metadata file or URL');
    const now = parseNow(stringFlag(args, 'now'), io);
    const warnDays = positiveInt(stringFlag(args, 'warn-days'), 'warn-days', 30);
    const maxSize = positiveInt(stringFlag(args, 'max-size'), 'max-size', 1024 * 1024);
    const pins: PublicKey[] = [];
    const pinFiles = args.values['pin-cert'];
    for (const f of Array.isArray(pinFiles) ? pinFiles : pinFiles === undefined ? [] : [pinFiles]) {
      let pem: string;
      try {
        pem = await io.readFile(String(f));
      } catch (err) {
        throw new UsageError(
          `cannot read --pin-cert ${JSON.stringify(f)}: ${(err as Error).message}`,
        );
      }
      pins.push(...loadPublicKeys(pem));
    }
    const entityId = stringFlag(args, 'entity-id');
    const idp = await parseIdpMetadata(await load(ref, io), {
      now,
      limits: { maxSize },
      ...(entityId !== undefined ? { entityId } : {}),
      ...(pins.length ? { verify: { keys: pins } } : {}),
    });
    io.stdout(await describeIdpMetadata(idp, now, warnDays, args.values.json === true));
    return 0;
  },
};

export default command;
