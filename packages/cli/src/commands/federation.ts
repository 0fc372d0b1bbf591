import {
  type FederationAggregate,
  fetchMetadataXml,
  isSamlError,
  loadAggregate,
  loadPublicKeys,
  type PublicKey,
} from '@samlkit/core';
import { type CliIo, type Command, stringFlag, stringList, UsageError } from '../command.js';
import { withHint } from '../hints.js';
import { describeIdpMetadata, parseNow, positiveInt } from './idp-metadata.js';

const DEFAULT_MAX_SIZE = 128 * 1024 * 1024;

const usage = `Usage: samlkit federation <file | URL> --pin-cert FILE [options]

Loads a federation's signed metadata aggregate (InCommon, eduGAIN, …), verifies its signature
with the pinned certificate, and summarises it: entity count, IdP and SP counts, validUntil,
publisher and registration authorities, and how long loading took. With --entity-id, prints that
entity as \`samlkit idp-metadata\` does.

Options:
  --pin-cert FILE    the federation's metadata-signing certificate (required; repeatable)
  --entity-id ID     show this IdP of the aggregate
  --max-size BYTES   largest aggregate accepted, in characters (default ${DEFAULT_MAX_SIZE})
  --now ISO-8601     evaluate validity at this instant (default: now)
  --json             print the summary as JSON
  -h, --help         show this help

Exit codes: 0 success, 1 failure ({"code", "message", "hint"} on stdout), 2 usage error.
`;

async function read(ref: string, io: CliIo, maxSize: number): Promise<string> {
  if (/^https?:\/\//i.test(ref)) {
    // Any scheme: the aggregate's signature is checked with the pinned certificate.
    return fetchMetadataXml(ref, {
      fetch: io.fetch,
      maxSize,
      timeoutMs: 300_000,
      signatureChecked: true,
    });
  }
  try {
    return await io.readFile(ref);
  } catch (err) {
    throw new UsageError(`cannot read ${JSON.stringify(ref)}: ${(err as Error).message}`);
  }
}

/** What to type next when the aggregate is refused. */
function hintFor(
  err: unknown,
  pins: readonly string[],
  size: number | undefined,
): string | undefined {
  if (!isSamlError(err)) return undefined;
  const signatureCode = err.details.signatureCode;
  switch (err.code) {
    case 'METADATA_INVALID':
      if (signatureCode === 'SIGNATURE_INVALID' || signatureCode === 'SIGNATURE_KEY_UNTRUSTED')
        return `the aggregate is not signed by ${pins.join(', ')}: pin the federation's current metadata-signing certificate (federations publish it beside the aggregate URL)`;
      if (signatureCode === 'SIGNATURE_DIGEST_MISMATCH')
        return 'the aggregate was changed after signing or arrived truncated: download it again, unmodified';
      if (signatureCode === 'SIGNATURE_MISSING')
        return 'this document is not signed: use the signed aggregate URL the federation publishes';
      return undefined;
    case 'XML_TOO_LARGE':
      return `raise --max-size${size !== undefined ? ` to at least ${size}` : ''} (eduGAIN-sized aggregates are 60–80 MB)`;
    case 'METADATA_EXPIRED':
      return 'the aggregate is past its validUntil: download a fresh one, or give --now with an instant it was valid at';
    case 'METADATA_ENTITY_NOT_FOUND':
      return 'run without --entity-id to see what the aggregate holds; --entity-id must name a SAML 2.0 IdP in it';
    default:
      return undefined;
  }
}

function authorities(agg: FederationAggregate): { authority: string; entities: number }[] {
  const counts = new Map<string, number>();
  for (const e of agg.entities()) {
    const a = e.registrationAuthority ?? '(none)';
    counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  return [...counts]
    .map(([authority, entities]) => ({ authority, entities }))
    .sort((x, y) => y.entities - x.entities || (x.authority < y.authority ? -1 : 1));
}

function render(s: ReturnType<typeof summary>): string {
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`${k.padEnd(26)}${v}`);
  row('Name', s.name ?? '(none)');
  row('Publisher', s.publisher ?? '(none)');
  row('Valid until', s.validUntil ?? 'not set');
  if (s.cacheDurationSeconds !== null) row('Cache duration', `${s.cacheDurationSeconds} s`);
  row('Signature', 'verified with the pinned certificate');
  row('Entities', String(s.entities));
  row('IdPs', `${s.idps} (${s.hiddenFromDiscovery} hidden from discovery)`);
  row('SPs', String(s.sps));
  row('Size', `${s.characters} characters`);
  row('Load time', `${s.loadMs} ms (verify and index)`);
  lines.push('', 'Registration authorities:');
  for (const a of s.registrationAuthorities)
    lines.push(`  ${String(a.entities).padStart(7)}  ${a.authority}`);
  return `${lines.join('\n')}\n`;
}

function summary(agg: FederationAggregate, characters: number, loadMs: number) {
  return {
    name: agg.name ?? null,
    publisher: agg.publisher ?? null,
    validUntil: agg.validUntil === undefined ? null : new Date(agg.validUntil).toISOString(),
    cacheDurationSeconds: agg.cacheDuration === undefined ? null : agg.cacheDuration / 1000,
    signatureVerified: true,
    entities: agg.counts.entities,
    idps: agg.counts.idps,
    sps: agg.counts.sps,
    hiddenFromDiscovery: agg.entities().filter((e) => e.idp && e.hiddenFromDiscovery).length,
    registrationAuthorities: authorities(agg),
    characters,
    loadMs: Math.round(loadMs),
  };
}

const command: Command = {
  summary: 'verify and summarise a federation metadata aggregate',
  usage,
  maxPositionals: 1,
  options: {
    'pin-cert': { type: 'string', multiple: true },
    'entity-id': { type: 'string' },
    'max-size': { type: 'string' },
    now: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const ref = args.positionals[0];
    if (ref === undefined) throw new UsageError('give the aggregate file or URL');
    const pinFiles = stringList(args, 'pin-cert');
    if (pinFiles.length === 0)
      throw new UsageError("--pin-cert is required: the federation's metadata-signing certificate");
    const now = parseNow(stringFlag(args, 'now'), io);
    const maxSize = positiveInt(stringFlag(args, 'max-size'), 'max-size', DEFAULT_MAX_SIZE);
    const entityId = stringFlag(args, 'entity-id');
    const json = args.values.json === true;
    const keys: PublicKey[] = [];
    for (const f of pinFiles) {
      let pem: string;
      try {
        pem = await io.readFile(f);
      } catch (err) {
        throw new UsageError(
          `cannot read --pin-cert ${JSON.stringify(f)}: ${(err as Error).message}`,
        );
      }
      keys.push(...loadPublicKeys(pem));
    }
    let size: number | undefined;
    try {
      const xml = await read(ref, io, maxSize);
      size = xml.length;
      const started = performance.now();
      const agg = await loadAggregate(xml, { keys, now, limits: { maxSize } });
      const loadMs = performance.now() - started;
      if (entityId !== undefined) {
        io.stdout(await describeIdpMetadata(await agg.idp(entityId, { now }), now, 30, json));
        return 0;
      }
      const s = summary(agg, xml.length, loadMs);
      io.stdout(json ? `${JSON.stringify(s, null, 2)}\n` : render(s));
      return 0;
    } catch (err) {
      throw withHint(err, hintFor(err, pinFiles, size));
    }
  },
};

export default command;
