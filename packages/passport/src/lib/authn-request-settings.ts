// passport-saml's AuthnRequest options (`scoping`, `attributeConsumingServiceIndex`,
// `providerName`, `samlAuthnRequestExtensions`, `allowCreate`) → core's AuthnRequestSettings.
// A value that would not reach the request exactly as node-saml would send it is refused here,
// when the strategy is built, with CONFIG_INVALID naming the option.
import {
  type AuthnRequestSettings,
  createAuthnRequest,
  type IdpEntry,
  type IdpList,
  SamlError,
  type Scoping,
} from '@samlkit/core';
import { configError, describe } from './option-checks.js';

/** One `<samlp:IDPEntry>` as node-saml takes it. */
export interface PassportSamlIdpEntry {
  /** `ProviderID`: the IdP's entity ID. */
  readonly providerId: string;
  /** `Name`: a human-readable name of the IdP. */
  readonly name?: string;
  /** `Loc`: the IdP's SingleSignOnService location. */
  readonly loc?: string;
}

/** One `<samlp:IDPList>` as node-saml takes it. */
export interface PassportSamlIdpList {
  /** The IdPs, in order of preference (one or more). */
  readonly entries: readonly PassportSamlIdpEntry[];
  /** `<samlp:GetComplete>`: where the complete list can be fetched. */
  readonly getComplete?: string;
}

/** node-saml's `scoping` option: `<samlp:Scoping>` (SAML core §3.4.1.2). */
export interface PassportSamlScoping {
  /** The IdP list, as node-saml's one-element array (the schema allows one `<IDPList>`). */
  readonly idpList?: readonly PassportSamlIdpList[];
  /** `ProxyCount`: how many proxying steps are allowed (0: none). */
  readonly proxyCount?: number;
  /** `<samlp:RequesterID>`: one entity ID, or several in order. */
  readonly requesterId?: string | readonly string[];
}

/** The options of this module, as {@link SamlStrategyOptions} declares them. */
interface RequestOptions {
  readonly scoping?: PassportSamlScoping;
  readonly attributeConsumingServiceIndex?: string | number;
  readonly providerName?: string;
  readonly samlAuthnRequestExtensions?: string;
  readonly allowCreate?: boolean;
  readonly identifierFormat?: string | null;
}

const SCOPING_KEYS: ReadonlySet<string> = new Set(['idpList', 'proxyCount', 'requesterId']);
const LIST_KEYS: ReadonlySet<string> = new Set(['entries', 'getComplete']);
const ENTRY_KEYS: ReadonlySet<string> = new Set(['providerId', 'name', 'loc']);

const SCOPING_SHAPE =
  '{ idpList?: [{ entries: [{ providerId, name?, loc? }, …], getComplete? }], proxyCount?, requesterId? } (SAML core §3.4.1.2)';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Refuses keys node-saml would ignore: a misspelt `requesterIds` must not vanish silently. */
function onlyKeys(value: Record<string, unknown>, keys: ReadonlySet<string>, at: string): void {
  for (const k of Object.keys(value)) {
    if (value[k] !== undefined && !keys.has(k)) {
      throw configError('scoping', SCOPING_SHAPE, `${at}.${k}`, `drop ${k} or check its spelling`);
    }
  }
}

function entryOf(value: unknown, at: string): IdpEntry {
  if (!isRecord(value)) {
    throw configError('scoping', SCOPING_SHAPE, `${at}: ${describe(value)}`, 'give an object');
  }
  onlyKeys(value, ENTRY_KEYS, at);
  const { providerId, name, loc } = value;
  return {
    providerId: providerId as string,
    ...(name !== undefined && { name: name as string }),
    ...(loc !== undefined && { loc: loc as string }),
  };
}

function idpListOf(value: unknown): IdpList {
  // SAML core §3.4.1.2: Scoping holds at most one <IDPList>; node-saml writes one per element.
  if (!Array.isArray(value) || value.length !== 1) {
    throw configError(
      'scoping',
      'scoping.idpList as an array of exactly one { entries, getComplete? } (SAML core §3.4.1.2 allows one IDPList)',
      `scoping.idpList: ${describe(value)}`,
      'put every IdP in the entries of one list',
    );
  }
  const list: unknown = value[0];
  if (!isRecord(list)) {
    throw configError(
      'scoping',
      SCOPING_SHAPE,
      `scoping.idpList[0]: ${describe(list)}`,
      'give an object',
    );
  }
  onlyKeys(list, LIST_KEYS, 'scoping.idpList[0]');
  if (!Array.isArray(list.entries)) {
    throw configError(
      'scoping',
      SCOPING_SHAPE,
      `scoping.idpList[0].entries: ${describe(list.entries)}`,
      'list the IdPs in entries',
    );
  }
  const entries = list.entries.map((e, i) => entryOf(e, `scoping.idpList[0].entries[${i}]`));
  return {
    entries: entries as unknown as IdpList['entries'],
    ...(list.getComplete !== undefined && { getComplete: list.getComplete as string }),
  };
}

function scopingOf(value: unknown): Scoping {
  if (!isRecord(value)) {
    throw configError('scoping', SCOPING_SHAPE, describe(value), 'give an object');
  }
  onlyKeys(value, SCOPING_KEYS, 'scoping');
  const { idpList, proxyCount, requesterId } = value;
  let requesterIds: Scoping['requesterIds'];
  if (requesterId !== undefined) {
    const ids: unknown = typeof requesterId === 'string' ? [requesterId] : requesterId;
    if (!Array.isArray(ids)) {
      throw configError(
        'scoping',
        'scoping.requesterId as an entity ID or an array of them',
        describe(requesterId),
        'e.g. requesterId: "https://sp.example.org"',
      );
    }
    requesterIds = [...ids] as unknown as Scoping['requesterIds'];
  }
  return {
    ...(proxyCount !== undefined && { proxyCount: proxyCount as number }),
    ...(idpList !== undefined && { idpList: idpListOf(idpList) }),
    ...(requesterIds !== undefined && { requesterIds }),
  };
}

function indexOf(value: unknown): number {
  // AttributeConsumingServiceIndex is an xs:unsignedShort (SAML core §3.4.1); node-saml takes it as
  // a string and writes it as is, so only the canonical decimal form maps to the same attribute.
  const ok =
    (typeof value === 'string' && /^(0|[1-9][0-9]{0,4})$/.test(value)) ||
    (typeof value === 'number' && Number.isInteger(value));
  const n = ok ? Number(value) : Number.NaN;
  if (!(n >= 0 && n <= 65535)) {
    throw configError(
      'attributeConsumingServiceIndex',
      'an integer 0..65535, as a decimal string or a number (SAML core §3.4.1: xs:unsignedShort)',
      describe(value),
      'give the index of the AttributeConsumingService the IdP knows for this SP, e.g. "1"',
    );
  }
  return n;
}

/**
 * Which option a message of core's AuthnRequest checks is about (they name the field first).
 */
function optionOf(message: string): string {
  if (/scoping/.test(message)) return 'scoping';
  if (/attributeConsumingServiceIndex/.test(message)) return 'attributeConsumingServiceIndex';
  if (/providerName/.test(message)) return 'providerName';
  if (/allowCreate/.test(message)) return 'allowCreate';
  return 'samlAuthnRequestExtensions';
}

/**
 * Maps node-saml's AuthnRequest options to core's {@link AuthnRequestSettings} and checks them with
 * core's own AuthnRequest rules, so that a bad value stops the strategy from being built rather
 * than the first login.
 *
 * - `scoping`: node-saml's `{ idpList: [{ entries, getComplete }], proxyCount, requesterId }` →
 *   `{ idpList: { entries, getComplete }, proxyCount, requesterIds }`.
 * - `attributeConsumingServiceIndex`: a decimal string (or a number) → a number.
 * - `samlAuthnRequestExtensions`: the XML of the extension elements (core's `extensions`). node-saml's
 *   object form (turned into XML by xmlbuilder) is refused: write the XML it stood for.
 * - `allowCreate` requires `identifierFormat`: samlkit sends a NameIDPolicy only with a Format.
 *
 * @throws SamlError `CONFIG_INVALID` naming the option
 * @internal
 */
export function authnRequestSettings(o: RequestOptions): AuthnRequestSettings {
  const ext = o.samlAuthnRequestExtensions;
  if (ext !== undefined && typeof ext !== 'string') {
    throw configError(
      'samlAuthnRequestExtensions',
      'the <samlp:Extensions> content as an XML string, each element in a namespace it declares (SAML core §3.2.1)',
      describe(ext),
      'write the XML the object stood for, e.g. \'<ext:Hint xmlns:ext="urn:example">…</ext:Hint>\' (samlkit does not build XML from objects)',
    );
  }
  if (o.allowCreate !== undefined) {
    if (typeof o.allowCreate !== 'boolean') {
      throw configError(
        'allowCreate',
        'true or false',
        describe(o.allowCreate),
        'drop it for true',
      );
    }
    if (o.identifierFormat === undefined || o.identifierFormat === null) {
      // SAML core §3.4.1.1: AllowCreate is an attribute of NameIDPolicy, and samlkit sends that
      // element only with a Format; an absent AllowCreate means false, so the value would be lost.
      throw configError(
        'allowCreate',
        'identifierFormat with it (samlkit sends the NameIDPolicy, and its AllowCreate, only with a Format)',
        `allowCreate: ${o.allowCreate} without identifierFormat`,
        'set identifierFormat (e.g. urn:oasis:names:tc:SAML:2.0:nameid-format:persistent), or drop allowCreate and leave it to the IdP: without a NameIDPolicy the IdP applies its own policy for creating new identifiers',
      );
    }
  }
  const settings: AuthnRequestSettings = {
    ...(o.scoping !== undefined && { scoping: scopingOf(o.scoping) }),
    ...(o.attributeConsumingServiceIndex !== undefined && {
      attributeConsumingServiceIndex: indexOf(o.attributeConsumingServiceIndex),
    }),
    ...(o.providerName !== undefined && { providerName: o.providerName }),
    ...(ext !== undefined && { extensions: ext }),
    ...(o.allowCreate !== undefined && { allowCreate: o.allowCreate }),
  };
  try {
    // Core's own checks (SAML core §3.4.1, §3.4.1.2, §3.2.1): types, ranges, characters XML can
    // carry, Extensions well-formed and outside the SAML namespaces.
    const { allowCreate, ...rest } = settings;
    createAuthnRequest({
      issuer: 'urn:samlkit:check',
      id: '_check',
      now: 0,
      ...rest,
      ...(allowCreate !== undefined && { nameIdPolicy: { allowCreate } }),
    });
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof SamlError)) throw e;
    const found = (e instanceof SamlError ? `${e.code}: ${e.message}` : e.message)
      .replace(/^createAuthnRequest: /, '')
      .slice(0, 300);
    const option = e instanceof SamlError ? 'samlAuthnRequestExtensions' : optionOf(e.message);
    throw configError(
      option,
      `${option} as SAML core §3.4.1 allows it`,
      found,
      'see "Option by option" in docs/migrating-from-node-saml.md',
    );
  }
  return settings;
}
