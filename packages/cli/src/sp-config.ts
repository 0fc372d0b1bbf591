import { dirname, resolve } from 'node:path';
import {
  type BindingName,
  defineServiceProvider,
  type Endpoint,
  type LocalizedText,
  loadPrivateKey,
  SamlError,
  type ServiceProviderConfig,
  type SpEntityAttributes,
  type SpKeyPair,
  type SpMetadataOptions,
  type SpRequestedAttribute,
  type SpUiInfo,
} from '@samlkit/core';
import type { CliIo } from './command.js';
import { didYouMean } from './suggest.js';

/**
 * The SP configuration file read by `samlkit metadata` (JSON). Paths are relative to the file.
 * See docs/metadata.md for the reference.
 */
export interface SpConfigFile {
  readonly entityId: string;
  /** ACS URL(s): a string (HTTP-POST, index 0), or a list of strings or endpoint objects. */
  readonly acs: string | ReadonlyArray<string | EndpointJson>;
  /** SLO URL(s): a string (HTTP-Redirect and HTTP-POST at that URL), or a list. */
  readonly slo?: string | ReadonlyArray<string | EndpointJson>;
  /** Shorthand for one key pair used both to sign and to decrypt. */
  readonly cert?: string;
  readonly key?: string;
  /** Signing key pairs (several during a rollover; mark the one in use `active`). */
  readonly signing?: readonly KeyPairJson[];
  /** Decryption key pairs (several during a rollover). */
  readonly encryption?: readonly KeyPairJson[];
  readonly nameIdFormats?: readonly string[];
  readonly authnRequestsSigned?: boolean;
  readonly wantAssertionsSigned?: boolean;
  /** Sign the metadata with the active signing key. */
  readonly signMetadata?: boolean;
  /** validUntil = now + this many days. */
  readonly validDays?: number;
  /** cacheDuration as an xs:duration, e.g. "PT6H". */
  readonly cacheDuration?: string;
  readonly organization?: {
    readonly name: string;
    readonly displayName?: string;
    readonly url: string;
    readonly lang?: string;
  };
  /** `mdui:UIInfo` (as the `metadata.uiInfo` option). */
  readonly uiInfo?: SpUiInfo;
  /** Requested attributes (as the `metadata.requestedAttributes` option). */
  readonly requestedAttributes?: readonly SpRequestedAttribute[];
  /** The AttributeConsumingService's ServiceName. */
  readonly serviceName?: LocalizedText;
  /** Entity categories, assurance certifications (as the `metadata.entityAttributes` option). */
  readonly entityAttributes?: SpEntityAttributes;
  /** `idpdisc:DiscoveryResponse` URL(s). */
  readonly discoveryResponse?: string | readonly string[];
  readonly contacts?: ReadonlyArray<{
    readonly type: 'technical' | 'support' | 'administrative' | 'billing' | 'other' | 'security';
    readonly company?: string;
    readonly givenName?: string;
    readonly surName?: string;
    readonly email?: string | readonly string[];
    readonly phone?: string | readonly string[];
  }>;
}

interface EndpointJson {
  readonly url: string;
  readonly binding?: BindingName;
  readonly responseUrl?: string;
  readonly index?: number;
  readonly default?: boolean;
}

interface KeyPairJson {
  readonly cert: string;
  readonly key: string;
  readonly active?: boolean;
}

function bad(field: string, expected: string, found: unknown): SamlError {
  return new SamlError('CONFIG_INVALID', `The SP configuration file has an invalid ${field}.`, {
    expected,
    found: JSON.stringify(found) ?? String(found),
    hint: 'see docs/metadata.md, "The samlkit metadata configuration file"',
  });
}

const TOP_LEVEL_KEYS = [
  'entityId',
  'acs',
  'slo',
  'cert',
  'key',
  'signing',
  'encryption',
  'nameIdFormats',
  'authnRequestsSigned',
  'wantAssertionsSigned',
  'signMetadata',
  'validDays',
  'cacheDuration',
  'organization',
  'contacts',
  'uiInfo',
  'requestedAttributes',
  'serviceName',
  'entityAttributes',
  'discoveryResponse',
];
const ENDPOINT_KEYS = ['url', 'binding', 'responseUrl', 'index', 'default'];
const KEY_PAIR_KEYS = ['cert', 'key', 'active'];
const ORGANIZATION_KEYS = ['name', 'displayName', 'url', 'lang'];
const CONTACT_KEYS = ['type', 'company', 'givenName', 'surName', 'email', 'phone'];
const UI_INFO_KEYS = [
  'displayName',
  'description',
  'informationUrl',
  'privacyStatementUrl',
  'logos',
];
const LOGO_KEYS = ['url', 'width', 'height', 'lang'];
const REQUESTED_ATTRIBUTE_KEYS = ['name', 'nameFormat', 'friendlyName', 'isRequired'];
const ENTITY_ATTRIBUTES_KEYS = ['entityCategories', 'assuranceCertifications', 'other'];

/**
 * Refuses a key the file format does not have (a misspelt `entityID` would otherwise be ignored
 * and the metadata silently wrong), suggesting the closest known key.
 */
function onlyKnownKeys(value: unknown, known: readonly string[], where: string): void {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = didYouMean(key, known);
    throw new SamlError(
      'CONFIG_INVALID',
      `The SP configuration file has an unknown key "${key}"${where}${guess ? ` (did you mean "${guess}"?)` : ''}.`,
      {
        expected: `one of ${known.join(', ')}`,
        found: JSON.stringify(key),
        hint: 'see docs/metadata.md, "The samlkit metadata configuration file"',
      },
    );
  }
}

function endpoints(
  value: SpConfigFile['acs'] | undefined,
  field: string,
  defaults: readonly BindingName[],
): Endpoint[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw bad(field, 'a URL or a list of URLs / { url, binding }', value);
  const out: Endpoint[] = [];
  for (const item of list) {
    if (typeof item === 'string') {
      for (const binding of defaults) out.push({ binding, location: item });
    } else if (item && typeof item === 'object' && typeof item.url === 'string') {
      out.push({
        binding: item.binding ?? defaults[0]!,
        location: item.url,
        ...(item.responseUrl !== undefined ? { responseLocation: item.responseUrl } : {}),
        ...(item.index !== undefined ? { index: item.index } : {}),
        ...(item.default !== undefined ? { isDefault: item.default } : {}),
      });
    } else {
      throw bad(field, 'a URL or { url, binding }', item);
    }
  }
  return out;
}

/**
 * Reads an SP configuration file (JSON) and the key and certificate files it names.
 * @param path - the file
 * @param io - file access
 * @param now - the current time, for `validDays`
 * @returns the SP configuration and the metadata options it sets
 * @throws SamlError `CONFIG_INVALID`, `KEY_INVALID`, `CERT_INVALID`
 */
export async function loadSpConfigFile(
  path: string,
  io: CliIo,
  now: number,
): Promise<{ sp: ServiceProviderConfig; metadata: SpMetadataOptions }> {
  let text: string;
  try {
    text = await io.readFile(path);
  } catch (cause) {
    throw new SamlError('CONFIG_INVALID', 'The SP configuration file cannot be read.', {
      expected: `a readable JSON file at ${path}`,
      found: (cause as Error).message,
      cause,
    });
  }
  let c: SpConfigFile;
  try {
    c = JSON.parse(text) as SpConfigFile;
  } catch (cause) {
    throw new SamlError('CONFIG_INVALID', 'The SP configuration file is not JSON.', {
      expected: 'a JSON object',
      found: (cause as Error).message,
      cause,
    });
  }
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw bad('content', 'a JSON object', c);
  onlyKnownKeys(c, TOP_LEVEL_KEYS, '');
  onlyKnownKeys(c.organization, ORGANIZATION_KEYS, ' in organization');
  for (const [field, value] of [
    ['uiInfo', c.uiInfo],
    ['entityAttributes', c.entityAttributes],
  ] as const) {
    if (
      value !== undefined &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    )
      throw bad(field, 'an object', value);
  }
  if (c.requestedAttributes !== undefined && !Array.isArray(c.requestedAttributes))
    throw bad(
      'requestedAttributes',
      'a list of { name, friendlyName?, isRequired? }',
      c.requestedAttributes,
    );
  onlyKnownKeys(c.uiInfo, UI_INFO_KEYS, ' in uiInfo');
  onlyKnownKeys(c.entityAttributes, ENTITY_ATTRIBUTES_KEYS, ' in entityAttributes');
  for (const [field, list, known] of [
    ['acs', c.acs, ENDPOINT_KEYS],
    ['slo', c.slo, ENDPOINT_KEYS],
    ['signing', c.signing, KEY_PAIR_KEYS],
    ['encryption', c.encryption, KEY_PAIR_KEYS],
    ['contacts', c.contacts, CONTACT_KEYS],
    ['requestedAttributes', c.requestedAttributes, REQUESTED_ATTRIBUTE_KEYS],
    ['uiInfo.logos', c.uiInfo?.logos, LOGO_KEYS],
  ] as const) {
    if (Array.isArray(list)) for (const item of list) onlyKnownKeys(item, known, ` in ${field}`);
  }
  const base = dirname(path);
  const read = async (p: unknown, field: string) => {
    if (typeof p !== 'string' || p === '') throw bad(field, 'a file path', p);
    try {
      return await io.readFile(resolve(base, p));
    } catch (cause) {
      throw new SamlError('CONFIG_INVALID', `The file named by ${field} cannot be read.`, {
        expected: `a readable PEM file (relative to ${base})`,
        found: `${p}: ${(cause as Error).message}`,
        cause,
      });
    }
  };
  const pairs = async (list: readonly KeyPairJson[] | undefined, field: string) => {
    if (list === undefined) return [];
    if (!Array.isArray(list)) throw bad(field, 'a list of { cert, key, active? }', list);
    const out: SpKeyPair[] = [];
    for (const [i, k] of list.entries()) {
      out.push({
        certificate: await read(k?.cert, `${field}[${i}].cert`),
        privateKey: loadPrivateKey(await read(k?.key, `${field}[${i}].key`)),
        ...(k.active !== undefined ? { active: k.active } : {}),
      });
    }
    return out;
  };
  let signing = await pairs(c.signing, 'signing');
  let decryption = await pairs(c.encryption, 'encryption');
  if (c.cert !== undefined || c.key !== undefined) {
    const pair: SpKeyPair = {
      certificate: await read(c.cert, 'cert'),
      privateKey: loadPrivateKey(await read(c.key, 'key')),
      active: true,
    };
    if (c.signing === undefined) signing = [pair];
    if (c.encryption === undefined) decryption = [pair];
  }
  const sp = defineServiceProvider({
    entityId: c.entityId,
    assertionConsumerServices: endpoints(c.acs, 'acs', ['post']),
    singleLogoutServices: endpoints(c.slo, 'slo', ['redirect', 'post']),
    signingKeys: signing,
    decryptionKeys: decryption,
    ...(c.nameIdFormats ? { nameIdFormats: c.nameIdFormats } : {}),
    ...(c.authnRequestsSigned !== undefined ? { signAuthnRequests: c.authnRequestsSigned } : {}),
  });
  if (c.validDays !== undefined && !(typeof c.validDays === 'number' && c.validDays > 0)) {
    throw bad('validDays', 'a positive number of days', c.validDays);
  }
  const list = (v: string | readonly string[] | undefined) =>
    v === undefined ? [] : typeof v === 'string' ? [v] : [...v];
  const metadata: SpMetadataOptions = {
    ...(c.wantAssertionsSigned !== undefined
      ? { wantAssertionsSigned: c.wantAssertionsSigned }
      : {}),
    ...(c.validDays !== undefined ? { validUntil: now + c.validDays * 86_400_000 } : {}),
    ...(c.cacheDuration !== undefined ? { cacheDuration: c.cacheDuration } : {}),
    ...(c.organization ? { organization: c.organization } : {}),
    ...(c.contacts
      ? {
          contacts: c.contacts.map((p) => ({
            contactType: p.type,
            ...(p.company ? { company: p.company } : {}),
            ...(p.givenName ? { givenName: p.givenName } : {}),
            ...(p.surName ? { surName: p.surName } : {}),
            emailAddresses: list(p.email),
            telephoneNumbers: list(p.phone),
          })),
        }
      : {}),
    ...(c.uiInfo !== undefined && { uiInfo: c.uiInfo }),
    ...(c.requestedAttributes !== undefined && { requestedAttributes: c.requestedAttributes }),
    ...(c.serviceName !== undefined && { serviceName: c.serviceName }),
    ...(c.entityAttributes !== undefined && { entityAttributes: c.entityAttributes }),
    ...(c.discoveryResponse !== undefined && {
      discoveryResponseUrls: list(c.discoveryResponse),
    }),
    ...(c.signMetadata ? { sign: true } : {}),
  };
  return { sp, metadata };
}
