import {
  decodeRedirect,
  type IncomingSamlMessage,
  isSamlError,
  type LogoutValidationOptions,
  loadPrivateKey,
  SamlError,
  type ValidatedLogoutRequest,
  type ValidatedLogoutResponse,
  validateLogoutRequest,
  validateLogoutResponse,
} from '@samlkit/core';
import { type CliIo, type Command, stringFlag, stringList, UsageError } from '../command.js';
import { withCliHint } from '../hints.js';
import { decodeAny } from './decode.js';
import { parseNow, parseSkew, readArgumentFile, trustedKeys } from './verify.js';

const usage = `Usage: samlkit verify-logout <file | URL | -> [options]

Validates a LogoutRequest or LogoutResponse exactly as the SP would: signature against the IdP
certificate(s) given here (never one carried in the message), issuer, destination, IssueInstant
and NotOnOrAfter, NameID (request) or InResponseTo and status (response). The input is
  - a whole URL or a query string (SAMLRequest=…&RelayState=…&SigAlg=…&Signature=…): HTTP-Redirect,
    whose signature is checked over the raw query octets as given,
  - a form body (SAMLRequest=…&RelayState=…, with SigAlg/Signature for SimpleSign): HTTP-POST,
  - the XML, or its base64 value: checked as if POSTed (an enveloped signature is required),
given as a file, a URL argument, or - for standard input.

Trust (one of them is required):
  --idp-cert FILE          IdP signing certificate or public key, PEM (repeatable: rollover)
  --idp-metadata FILE|URL  IdP metadata; its signing certificates and entityID are used

What the SP expects:
  --idp-entity-id ID       the expected Issuer (omit to skip the issuer check)
  --destination URL        the SP SingleLogoutService URL (omit to report Destination unchecked)
  --in-response-to ID      for a LogoutResponse: the LogoutRequest ID it must answer
                           (omit to report InResponseTo unchecked)
  --sp-entity-id ID        the SP entity ID (reported next to the NameID SPNameQualifier)
  --now ISO-8601           evaluate IssueInstant and NotOnOrAfter at this instant (default: now)
  --clock-skew SECONDS     tolerated clock difference (default 180)
  --sp-key FILE            SP private key, PEM, for an EncryptedID (repeatable)
  --allow-sha1             accept SHA-1 signatures (weak; legacy IdPs only)
  -h, --help               show this help

Output: exit 0 and one JSON object with type (LogoutRequest or LogoutResponse), issuer, and
nameId + sessionIndex (array) for a request, or status + inResponseTo for a response; exit 1 and
{"code", "message", "details"} on stdout when the message is refused; exit 2 for usage errors.
`;

const PARAM = /(?:^|[?&])(SAMLRequest|SAMLResponse)=/;

function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

function rootName(xml: string): string {
  // The first element start tag, after any declaration, comment or processing instruction.
  const body = xml.replace(/^(\s|<\?[\s\S]*?\?>|<!--[\s\S]*?-->)*/, '');
  const m = /^<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]/.exec(body);
  return m ? m[1]! : '(not XML)';
}

/** Reads a form body as the framework would: `+` is a space, except inside base64 values. */
function parseForm(body: string): Record<string, string> {
  // No prototype: a field named `__proto__` or `constructor` is an ordinary (ignored) field.
  const out: Record<string, string> = Object.create(null);
  for (const part of body.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const raw = eq === -1 ? '' : part.slice(eq + 1);
    const base64Field = name === 'SAMLRequest' || name === 'SAMLResponse' || name === 'Signature';
    try {
      out[name] = decodeURIComponent(base64Field ? raw : raw.replace(/\+/g, ' '));
    } catch {
      throw new SamlError('BINDING_INVALID', `The ${name} field is not valid URL encoding.`, {
        expected: 'percent-encoded form values',
        found: JSON.stringify(raw.slice(0, 60)),
      });
    }
  }
  return out;
}

/** Works out the binding from what was pasted, and the XML to learn the message type from. */
async function classify(text: string): Promise<{ incoming: IncomingSamlMessage; xml: string }> {
  if (text.startsWith('<')) {
    const type = rootName(text) === 'LogoutResponse' ? 'SAMLResponse' : 'SAMLRequest';
    return { incoming: { binding: 'post', form: { [type]: base64Utf8(text) } }, xml: text };
  }
  if (PARAM.test(text)) {
    let query = text;
    const hash = query.indexOf('#');
    if (hash !== -1) query = query.slice(0, hash);
    const mark = query.indexOf('?');
    if (mark !== -1) query = query.slice(mark + 1);
    try {
      const decoded = await decodeRedirect(query);
      return { incoming: { binding: 'redirect', query }, xml: decoded.xml };
    } catch (err) {
      // Not deflated: a form body of the HTTP-POST (or POST-SimpleSign) binding.
      if (!isSamlError(err, 'INFLATE_FAILED') && !isSamlError(err, 'XML_PARSE_ERROR')) throw err;
      const form = parseForm(query);
      const xml = await decodeAny(form.SAMLRequest ?? form.SAMLResponse ?? '');
      return { incoming: { binding: 'post', form }, xml };
    }
  }
  const xml = await decodeAny(text);
  const type = rootName(xml) === 'LogoutResponse' ? 'SAMLResponse' : 'SAMLRequest';
  return { incoming: { binding: 'post', form: { [type]: base64Utf8(xml) } }, xml };
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function signatureSummary(s: ValidatedLogoutRequest['signature']): Record<string, unknown> | null {
  if (!s) return null;
  return {
    method: s.method,
    algorithm: s.algorithm,
    certificateSubject: s.key.certificate?.subject ?? null,
  };
}

function requestSummary(
  r: ValidatedLogoutRequest,
  spEntityId: string | undefined,
): Record<string, unknown> {
  return {
    type: 'LogoutRequest',
    binding: r.binding,
    id: r.id,
    issuer: r.issuer,
    nameId: r.nameId.value,
    nameIdFormat: r.nameId.format ?? null,
    nameQualifier: r.nameId.nameQualifier ?? null,
    spNameQualifier: r.nameId.spNameQualifier ?? null,
    ...(spEntityId !== undefined
      ? {
          spNameQualifierMatches:
            r.nameId.spNameQualifier === undefined || r.nameId.spNameQualifier === spEntityId,
        }
      : {}),
    encryptedId: r.encryptedId,
    sessionIndex: [...r.sessionIndexes],
    issueInstant: iso(r.issueInstant),
    notOnOrAfter: iso(r.notOnOrAfter),
    reason: r.reason ?? null,
    destination: r.destination ?? null,
    relayState: r.relayState ?? null,
    signature: signatureSummary(r.signature),
  };
}

function responseSummary(r: ValidatedLogoutResponse): Record<string, unknown> {
  return {
    type: 'LogoutResponse',
    binding: r.binding,
    id: r.id,
    issuer: r.issuer,
    status: r.status.code,
    subStatus: r.status.subCode ?? null,
    statusMessage: r.status.message ?? null,
    success: r.status.success,
    partialLogout: r.status.partial,
    inResponseTo: r.inResponseTo ?? null,
    issueInstant: iso(r.issueInstant),
    destination: r.destination ?? null,
    relayState: r.relayState ?? null,
    signature: signatureSummary(r.signature),
  };
}

async function readInput(arg: string, io: CliIo): Promise<string> {
  if (arg === '-') return io.readStdin();
  if (/^https?:\/\//i.test(arg)) return arg; // a URL copied from the browser's address bar
  return readArgumentFile(arg, 'the input', io);
}

const command: Command = {
  summary: 'validate a LogoutRequest or LogoutResponse as the SP would (JSON result)',
  usage,
  maxPositionals: 1,
  options: {
    'idp-cert': { type: 'string', multiple: true },
    'idp-metadata': { type: 'string' },
    'idp-entity-id': { type: 'string' },
    'sp-entity-id': { type: 'string' },
    destination: { type: 'string' },
    'in-response-to': { type: 'string' },
    now: { type: 'string' },
    'clock-skew': { type: 'string' },
    'sp-key': { type: 'string', multiple: true },
    'allow-sha1': { type: 'boolean' },
  },
  async run(args, io) {
    const arg = args.positionals[0];
    if (arg === undefined)
      throw new UsageError('give the message file, a URL, or - for standard input');
    const now = parseNow(stringFlag(args, 'now'), io);
    const clockSkewMs = parseSkew(stringFlag(args, 'clock-skew'));
    const destination = stringFlag(args, 'destination');
    if (destination !== undefined && !/^https?:\/\/[^\s]+$/i.test(destination)) {
      throw new UsageError(
        `--destination needs an http(s) URL, not ${JSON.stringify(destination)}`,
      );
    }
    const inResponseTo = stringFlag(args, 'in-response-to');
    const spEntityId = stringFlag(args, 'sp-entity-id');
    const text = (await readInput(arg, io)).trim();
    if (text === '') throw new UsageError('the input is empty');
    const { keys, metadataEntityId } = await trustedKeys(args, io, now);
    const idpEntityId = stringFlag(args, 'idp-entity-id') ?? metadataEntityId;
    const decryptionKeys = [];
    for (const file of stringList(args, 'sp-key')) {
      const pem = await readArgumentFile(file, '--sp-key', io);
      decryptionKeys.push({ privateKey: loadPrivateKey(pem), certificate: '' });
    }
    const { incoming, xml } = await classify(text);
    const options: LogoutValidationOptions = {
      sp: {
        ...(destination !== undefined
          ? { singleLogoutServices: [{ binding: 'redirect' as const, location: destination }] }
          : {}),
        decryptionKeys,
      },
      idp: { ...(idpEntityId !== undefined ? { entityId: idpEntityId } : {}), signingKeys: keys },
      now,
      ...(clockSkewMs !== undefined ? { clockSkewMs } : {}),
      allowSha1: args.values['allow-sha1'] === true,
      skipDestinationCheck: destination === undefined,
    };
    const root = rootName(xml);
    if (root === 'LogoutRequest') {
      if (inResponseTo !== undefined)
        throw new UsageError('--in-response-to applies to a LogoutResponse, not a LogoutRequest');
      const result = await validateLogoutRequest(incoming, options).catch((err: unknown) => {
        throw withCliHint(err, xml);
      });
      io.stdout(`${JSON.stringify(requestSummary(result, spEntityId), null, 2)}\n`);
      return 0;
    }
    if (root === 'LogoutResponse') {
      const result = await validateLogoutResponse(incoming, {
        ...options,
        ...(inResponseTo !== undefined ? { inResponseTo } : { skipInResponseToCheck: true }),
      }).catch((err: unknown) => {
        throw withCliHint(err, xml);
      });
      io.stdout(`${JSON.stringify(responseSummary(result), null, 2)}\n`);
      return 0;
    }
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The message is not a logout message.', {
      expected: '<samlp:LogoutRequest> or <samlp:LogoutResponse>',
      found: `<${root}>`,
      hint: 'use `samlkit verify` for a Response, `samlkit decode` to just print a message',
    });
  },
};

export default command;
