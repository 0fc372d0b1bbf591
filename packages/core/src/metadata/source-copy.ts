// What a metadata source keeps: the copy in force, its shared form in the store, and the checks
// of the metadata URL.
import type { PublicKey } from '../crypto/keys.js';
import { describeValue, SamlError } from '../errors.js';
import { equalBytes } from '../lib/bytes.js';
import type { SamlStore } from '../store/types.js';
import { isLoopbackHost, type MetadataValidators } from './fetch.js';
import type { IdpMetadata } from './idp.js';
import type { MetadataSourceOptions } from './source-types.js';

const DAY = 24 * 60 * 60_000;

/** A metadata document as downloaded, with its HTTP validators. @internal */
export interface Copy extends MetadataValidators {
  readonly xml: string;
  /** When this document was downloaded. */
  readonly fetchedAt: number;
  /** When it was last confirmed current (a download, or a 304 to a conditional request). */
  readonly checkedAt: number;
}

/** The copy in force and what was parsed from it. @internal */
export interface Current {
  copy: Copy;
  readonly idp: IdpMetadata;
  nextRefreshAt: number;
}

/** Whether two key sets hold the same keys. @internal */
export function sameKeys(a: readonly PublicKey[], b: readonly PublicKey[]): boolean {
  return a.length === b.length && a.every((k) => b.some((o) => equalBytes(k.spki, o.spki)));
}

/** A download failure as a SamlError. @internal */
export function toSamlError(e: unknown, url: string): SamlError {
  if (e instanceof SamlError) return e;
  return new SamlError('METADATA_FETCH_FAILED', 'The metadata could not be downloaded.', {
    expected: `a 200 response with SAML metadata from ${url}`,
    found: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    hint: 'check that this server can reach the URL (DNS, proxy, firewall, TLS trust)',
    cause: e,
  });
}

/** The part of the store a metadata source uses. @internal */
export type MetadataCopyStore = Pick<SamlStore, 'getValue' | 'setValue' | 'rememberOnce'>;

/**
 * The copy another node shared under `key`, if there is a well-formed one. A store failure is
 * reported to `onError` and reads as no copy.
 * @internal
 */
export async function readStoredCopy(
  store: MetadataCopyStore | undefined,
  key: string,
  onError: (error: unknown) => void,
): Promise<Copy | undefined> {
  if (!store) return undefined;
  try {
    const raw = await store.getValue(key);
    if (raw === undefined) return undefined;
    const v = JSON.parse(raw) as Partial<Record<keyof Copy, unknown>>;
    if (typeof v.xml !== 'string' || typeof v.fetchedAt !== 'number') return undefined;
    return {
      xml: v.xml,
      fetchedAt: v.fetchedAt,
      checkedAt:
        typeof v.checkedAt === 'number' && v.checkedAt > v.fetchedAt ? v.checkedAt : v.fetchedAt,
      ...(typeof v.etag === 'string' && { etag: v.etag }),
      ...(typeof v.lastModified === 'string' && { lastModified: v.lastModified }),
    };
  } catch (error) {
    onError(error);
    return undefined;
  }
}

/**
 * Shares `copy` under `key` for the other nodes. A store failure is reported to `onError`.
 * @internal
 */
export async function writeStoredCopy(
  store: MetadataCopyStore | undefined,
  key: string,
  copy: Copy,
  idp: IdpMetadata,
  t: number,
  onError: (error: unknown) => void,
): Promise<void> {
  if (!store) return;
  // Keep the shared copy as long as it may be used: until validUntil, or 30 days.
  const expiresAt = idp.validUntil ?? t + 30 * DAY;
  try {
    await store.setValue(key, JSON.stringify(copy), expiresAt);
  } catch (error) {
    onError(error);
  }
}

/**
 * Checks the metadata URL of a source: an absolute http(s) URL, and plain http only for a
 * loopback host, signed metadata, or the development option.
 * @throws SamlError `CONFIG_INVALID`
 * @internal
 */
export function checkMetadataUrl(url: string, options: MetadataSourceOptions): void {
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new SamlError('CONFIG_INVALID', 'The metadata URL is not a URL.', {
      expected: 'an absolute https URL',
      found: describeValue(String(url)),
      hint: 'paste the IdP’s metadata URL exactly as its admin console shows it',
    });
  }
  if (parsedUrl.protocol !== 'https:' && parsedUrl.protocol !== 'http:') {
    throw new SamlError('CONFIG_INVALID', 'The metadata URL must use https.', {
      expected: 'an https URL',
      found: describeValue(url),
    });
  }
  if (
    parsedUrl.protocol === 'http:' &&
    !options.verify &&
    !options.allowInsecureHttpForDevelopment &&
    !isLoopbackHost(parsedUrl.hostname)
  ) {
    throw new SamlError('CONFIG_INVALID', 'The metadata URL uses plain http.', {
      expected: 'an https URL (or signed metadata with verify.keys)',
      found: describeValue(url),
      hint: 'over http anyone on the path can swap the IdP certificate; use https (allowInsecureHttpForDevelopment allows http, for local development only)',
    });
  }
}
