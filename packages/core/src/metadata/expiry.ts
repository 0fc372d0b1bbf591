import type { IdentityProviderConfig, ServiceProviderConfig } from '../config.js';
import { loadPublicKeys, type PublicKey } from '../crypto/keys.js';

const DAY = 86_400_000;

/** A certificate or metadata document that expires soon (or already has). */
export type ExpiryWarning =
  | {
      readonly kind: 'certificate';
      /** Whose certificate: the IdP's (from its metadata) or the SP's own. */
      readonly owner: 'idp' | 'sp';
      /** The entity ID of the owner. */
      readonly entityId: string;
      /** What the certificate is used for. */
      readonly use: 'signing' | 'encryption';
      /** Subject DN of the certificate. */
      readonly subject: string;
      /** End of validity (epoch ms). */
      readonly notAfter: number;
      /** Whole days left (negative once expired). */
      readonly daysRemaining: number;
      /** Whether the certificate has already expired. */
      readonly expired: boolean;
      /** One line for logs, e.g. `IdP signing certificate CN=… expires in 12 days`. */
      readonly message: string;
    }
  | {
      readonly kind: 'metadata';
      readonly entityId: string;
      /** The metadata's validUntil (epoch ms). */
      readonly validUntil: number;
      /** Whole days left. */
      readonly daysRemaining: number;
      readonly expired: boolean;
      readonly message: string;
    };

/** Input of {@link findExpiryWarnings}. */
export interface FindExpiryWarningsInput {
  /** The IdP (its metadata's `validUntil` is checked when present). */
  readonly idp?: IdentityProviderConfig & { readonly validUntil?: number };
  /** The SP: its signing and decryption certificates. */
  readonly sp?: ServiceProviderConfig;
  /** The current time. */
  readonly now: Date | number;
  /** Warn about certificates that expire within this many days (default 30). */
  readonly withinDays?: number;
  /** Warn about metadata whose validUntil is within this many days (default 1). */
  readonly metadataWithinDays?: number;
}

function describeDays(days: number): string {
  if (days === 0) return 'expires today';
  return `expires in ${days} day${days === 1 ? '' : 's'}`;
}

/**
 * Finds the certificates (IdP and SP, signing and encryption) and the IdP metadata that expire
 * within a warning window, so operators hear about a rollover before logins start failing.
 *
 * A certificate's expiry does not by itself make SAML fail (SAML trusts the key, not the X.509
 * validity), but IdPs and SPs that check it do, and an expiring certificate is the sign of an
 * upcoming key rollover that both sides must prepare for.
 *
 * @param input - the IdP and/or SP, the current time and the windows
 * @returns one warning per certificate or document inside its window, soonest first
 * @throws SamlError `CERT_INVALID` when an SP certificate cannot be read
 *
 * @example Logging warnings at startup
 * ```ts
 * for (const w of findExpiryWarnings({ idp, sp, now: Date.now(), withinDays: 30 })) {
 *   logger.warn(w.message, w);
 * }
 * ```
 *
 * @see SAML 2.0 metadata §2.3.1 (validUntil); RFC 5280 §4.1.2.5 (certificate validity)
 */
export function findExpiryWarnings(input: FindExpiryWarningsInput): ExpiryWarning[] {
  const now = input.now instanceof Date ? input.now.getTime() : input.now;
  if (!Number.isFinite(now))
    throw new TypeError('findExpiryWarnings: now must be a Date or epoch ms');
  const within = (input.withinDays ?? 30) * DAY;
  const metadataWithin = (input.metadataWithinDays ?? 1) * DAY;
  const out: ExpiryWarning[] = [];
  const seen = new Set<string>();

  const check = (
    key: PublicKey,
    owner: 'idp' | 'sp',
    entityId: string,
    use: 'signing' | 'encryption',
  ) => {
    const cert = key.certificate;
    if (!cert) return;
    const notAfter = cert.notAfter.getTime();
    const id = `${owner}|${use}|${cert.serialNumber}|${cert.issuer}`;
    if (notAfter - now > within || seen.has(id)) return;
    seen.add(id);
    const daysRemaining = Math.floor((notAfter - now) / DAY);
    out.push(
      Object.freeze({
        kind: 'certificate',
        owner,
        entityId,
        use,
        subject: cert.subject,
        notAfter,
        daysRemaining,
        expired: notAfter <= now,
        message: `${owner === 'idp' ? 'IdP' : 'SP'} ${use} certificate ${cert.subject} of ${entityId} ${notAfter <= now ? 'has expired' : describeDays(daysRemaining)} (not after ${cert.notAfter.toISOString()})`,
      }),
    );
  };

  const idp = input.idp;
  if (idp) {
    for (const k of idp.signingKeys) check(k, 'idp', idp.entityId, 'signing');
    for (const k of idp.encryptionKeys ?? []) check(k, 'idp', idp.entityId, 'encryption');
    if (idp.validUntil !== undefined && idp.validUntil - now <= metadataWithin) {
      const daysRemaining = Math.floor((idp.validUntil - now) / DAY);
      out.push(
        Object.freeze({
          kind: 'metadata',
          entityId: idp.entityId,
          validUntil: idp.validUntil,
          daysRemaining,
          expired: idp.validUntil <= now,
          message: `metadata of ${idp.entityId} ${idp.validUntil <= now ? 'has expired' : 'expires'} (validUntil ${new Date(idp.validUntil).toISOString()}); refresh it`,
        }),
      );
    }
  }
  const sp = input.sp;
  if (sp) {
    for (const pair of sp.signingKeys ?? [])
      for (const k of loadPublicKeys(pair.certificate)) check(k, 'sp', sp.entityId, 'signing');
    for (const pair of sp.decryptionKeys ?? [])
      for (const k of loadPublicKeys(pair.certificate)) check(k, 'sp', sp.entityId, 'encryption');
  }
  return out.sort((a, b) => a.daysRemaining - b.daysRemaining);
}
