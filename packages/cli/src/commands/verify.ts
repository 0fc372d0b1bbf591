import {
  fetchMetadataXml,
  loadPrivateKey,
  loadPublicKeys,
  type PublicKey,
  parseIdpMetadata,
  type ValidatedResponse,
  type ValidateResponseOptions,
  validateResponse,
} from '@samlkit/core';
import {
  type CliIo,
  type Command,
  type CommandArgs,
  stringFlag,
  stringList,
  UsageError,
} from '../command.js';
import { withCliHint } from '../hints.js';
import { decodeAny } from './decode.js';

const usage = `Usage: samlkit verify <file | -> [options]

Validates a SAML Response exactly as the SP would: signature against the IdP certificate(s) given
here (never one carried in the message), status, issuer, destination, InResponseTo, bearer
confirmation, conditions, audience. The input is the Response XML, the base64 SAMLResponse value
(as copied from a browser trace, URL-encoded or not), or a form body carrying it; - reads stdin.

Trust (one of them is required):
  --idp-cert FILE          IdP signing certificate or public key, PEM (repeatable: rollover)
  --idp-metadata FILE|URL  IdP metadata; its signing certificates and entityID are used

What the SP expects:
  --sp-entity-id ID        the SP entity ID (must be an Audience)            (required)
  --acs URL                the AssertionConsumerService URL                 (required)
  --idp-entity-id ID       the expected Issuer (omit to skip the issuer check)
  --in-response-to ID      the outstanding AuthnRequest ID; a response to another request is
                           refused, and so is an unsolicited one unless --allow-unsolicited.
                           Without it, InResponseTo is reported but not checked.
  --allow-unsolicited      accept an IdP-initiated response (with --in-response-to)
  --now ISO-8601           evaluate time conditions at this instant (default: now)
  --clock-skew SECONDS     tolerated clock difference (default 180)
  --sp-key FILE            SP private key, PEM, for encrypted assertions (repeatable)
  --allow-sha1             accept SHA-1 signatures and digests (weak; legacy IdPs only)
  -h, --help               show this help

Output: exit 0 and one JSON object (nameId, nameIdFormat, sessionIndex, issuer, attributes, …)
on stdout; exit 1 and {"code", "message", "details"} on stdout when the response is refused;
exit 2 for usage errors. Error codes are explained in docs/errors.md.
`;

/** Reads a file named by a flag; a missing file is a usage error. */
export async function readArgumentFile(path: string, what: string, io: CliIo): Promise<string> {
  try {
    return await io.readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}

/** Parses `--now` (ISO 8601 with a zone), defaulting to the current time. */
export function parseNow(text: string | undefined, io: CliIo): number {
  if (text === undefined) return io.now().getTime();
  // ISO 8601 with a time zone designator, so that the instant is unambiguous.
  const ms =
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) ||
    /^\d{4}-\d{2}-\d{2}$/.test(text)
      ? Date.parse(text)
      : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `--now needs an ISO-8601 instant such as 2024-05-01T12:00:00Z, not ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

/** Parses `--clock-skew` seconds into milliseconds. */
export function parseSkew(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = Number(text);
  if (text.trim() === '' || !Number.isFinite(s) || s < 0) {
    throw new UsageError(`--clock-skew needs a number of seconds, not ${JSON.stringify(text)}`);
  }
  return s * 1000;
}

/** The IdP keys from `--idp-cert` and/or `--idp-metadata` (and the metadata entityID). */
export async function trustedKeys(
  args: CommandArgs,
  io: CliIo,
  now: number,
): Promise<{ keys: PublicKey[]; metadataEntityId?: string }> {
  const keys: PublicKey[] = [];
  for (const file of stringList(args, 'idp-cert')) {
    keys.push(...loadPublicKeys(await readArgumentFile(file, '--idp-cert', io)));
  }
  const metadataRef = stringFlag(args, 'idp-metadata');
  let metadataEntityId: string | undefined;
  if (metadataRef !== undefined) {
    let xml: string;
    if (/^https?:\/\//i.test(metadataRef)) {
      xml = await fetchMetadataXml(metadataRef, { fetch: io.fetch });
    } else {
      xml = await readArgumentFile(metadataRef, '--idp-metadata', io);
    }
    const idpEntityId = stringFlag(args, 'idp-entity-id');
    const metadata = await parseIdpMetadata(xml, {
      now,
      ...(idpEntityId !== undefined ? { entityId: idpEntityId } : {}),
    });
    keys.push(...metadata.signingKeys);
    metadataEntityId = metadata.entityId;
  }
  if (keys.length === 0) {
    throw new UsageError('give the IdP signing certificate with --idp-cert FILE or --idp-metadata');
  }
  return { keys, ...(metadataEntityId !== undefined ? { metadataEntityId } : {}) };
}

/** The JSON printed on success: what the SP learns from the response. */
function summary(r: ValidatedResponse): Record<string, unknown> {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    nameId: r.nameId?.value ?? null,
    nameIdFormat: r.nameId?.format ?? null,
    nameQualifier: r.nameId?.nameQualifier ?? null,
    spNameQualifier: r.nameId?.spNameQualifier ?? null,
    userId: r.userId,
    sessionIndex: r.sessionIndex ?? null,
    issuer: r.issuer,
    attributes: { ...r.attributes },
    attributeList: r.attributeList,
    responseId: r.responseId,
    inResponseTo: r.inResponseTo ?? null,
    destination: r.destination ?? null,
    assertionId: r.assertionId,
    authnInstant: iso(r.authn?.authnInstant),
    authnContextClassRef: r.authn?.authnContextClassRef ?? null,
    sessionNotOnOrAfter: iso(r.authn?.sessionNotOnOrAfter),
    notBefore: iso(r.conditions.notBefore),
    notOnOrAfter: iso(r.conditions.notOnOrAfter),
    audiences: r.conditions.audienceRestrictions,
    oneTimeUse: r.conditions.oneTimeUse,
    subjectConfirmation: {
      recipient: r.subjectConfirmation.recipient,
      notOnOrAfter: iso(r.subjectConfirmation.notOnOrAfter),
      inResponseTo: r.subjectConfirmation.inResponseTo ?? null,
    },
    signature: {
      response: r.signature.response,
      assertion: r.signature.assertion,
      algorithm: r.signature.algorithm,
      certificateSubject: r.signature.key.certificate?.subject ?? null,
    },
    encrypted: r.encrypted,
  };
}

const command: Command = {
  summary: 'validate a SAML Response as the SP would (JSON result)',
  usage,
  maxPositionals: 1,
  options: {
    'idp-cert': { type: 'string', multiple: true },
    'idp-metadata': { type: 'string' },
    'sp-entity-id': { type: 'string' },
    acs: { type: 'string' },
    'in-response-to': { type: 'string' },
    'allow-unsolicited': { type: 'boolean' },
    now: { type: 'string' },
    'clock-skew': { type: 'string' },
    'sp-key': { type: 'string', multiple: true },
    'allow-sha1': { type: 'boolean' },
    'idp-entity-id': { type: 'string' },
  },
  async run(args, io) {
    const arg = args.positionals[0];
    if (arg === undefined) throw new UsageError('give the Response file, or - for standard input');
    const spEntityId = stringFlag(args, 'sp-entity-id', true);
    const acs = stringFlag(args, 'acs', true);
    const now = parseNow(stringFlag(args, 'now'), io);
    const clockSkewMs = parseSkew(stringFlag(args, 'clock-skew'));
    const inResponseTo = stringFlag(args, 'in-response-to');
    const allowUnsolicited = args.values['allow-unsolicited'] === true;
    if (allowUnsolicited && inResponseTo === undefined) {
      throw new UsageError(
        '--allow-unsolicited only matters with --in-response-to (without it InResponseTo is not checked)',
      );
    }
    const input = arg === '-' ? await io.readStdin() : await readArgumentFile(arg, 'the input', io);
    const { keys, metadataEntityId } = await trustedKeys(args, io, now);
    const decryptionKeys = [];
    for (const file of stringList(args, 'sp-key')) {
      decryptionKeys.push(loadPrivateKey(await readArgumentFile(file, '--sp-key', io)));
    }
    const idpEntityId = stringFlag(args, 'idp-entity-id') ?? metadataEntityId;
    const xml = await decodeAny(input);
    const options: ValidateResponseOptions = {
      sp: { entityId: spEntityId, acsUrl: acs },
      idp: { ...(idpEntityId !== undefined ? { entityId: idpEntityId } : {}), signingKeys: keys },
      now,
      ...(clockSkewMs !== undefined ? { clockSkewMs } : {}),
      ...(inResponseTo !== undefined
        ? { inResponseTo, allowUnsolicited }
        : { skipInResponseToCheck: true }),
      allowSha1: args.values['allow-sha1'] === true,
      decryptionKeys,
    };
    let result: Awaited<ReturnType<typeof validateResponse>>;
    try {
      result = await validateResponse(xml, options);
    } catch (err) {
      throw withCliHint(err, xml);
    }
    io.stdout(`${JSON.stringify(summary(result), null, 2)}\n`);
    return 0;
  },
};

export default command;
