// What to type next, for a person at a shell: a refused message's error speaks of library options
// (allowSha1, decryptionKeys, …); the command line has flags for them. `samlkit verify` and
// `verify-logout` attach one of these hints to the failure JSON as `hint`.
import { createHash, X509Certificate } from 'node:crypto';
import { isSamlError } from '@samlkit/core';

const HINT = Symbol('samlkit.cliHint');

/** The first match of `pattern` in the message text, read for a hint only (never trusted). */
function peek(xml: string | undefined, pattern: RegExp): string | undefined {
  return xml === undefined ? undefined : pattern.exec(xml)?.[1];
}

/**
 * The SHA-256 fingerprint (and subject) of the first certificate a message carries in its
 * KeyInfo. A hint for the operator only: the signature is never checked against it.
 * @param xml - the message
 * @returns e.g. `AB:CD:… (CN=idp.example.org)`, or undefined without a readable certificate
 */
export function carriedCertificate(xml: string | undefined): string | undefined {
  const base64 = peek(xml, /<(?:\w+:)?X509Certificate\b[^>]*>([A-Za-z0-9+/=\s]+)</);
  if (base64 === undefined) return undefined;
  const der = Buffer.from(base64.replace(/\s+/g, ''), 'base64');
  if (der.length === 0) return undefined;
  const fingerprint = createHash('sha256')
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
  try {
    return `${fingerprint} (${new X509Certificate(der).subject.replace(/\n/g, ', ')})`;
  } catch {
    return fingerprint;
  }
}

/**
 * The command-line hint for a refused message, or undefined when the error's own message says
 * all there is.
 * @param err - what validation threw
 * @param xml - the message, when it could be decoded (read for hints only)
 */
export function cliHint(err: unknown, xml: string | undefined): string | undefined {
  if (!isSamlError(err)) return undefined;
  switch (err.code) {
    case 'EXPIRED':
    case 'NOT_YET_VALID': {
      const issued = peek(xml, /\bIssueInstant="([^"]+)"/);
      return `to check the message as of when it was issued, give that instant with --now ${issued ?? '<ISO-8601 instant>'} (the time conditions are checked at --now, by default the current time); --clock-skew SECONDS allows for clocks that differ a little`;
    }
    case 'SIGNATURE_ALGORITHM_FORBIDDEN':
      return /sha-?1\b/i.test(`${err.message} ${JSON.stringify(err.details)}`)
        ? 'the message is signed or digested with SHA-1: add --allow-sha1 to accept it (for legacy IdPs only)'
        : undefined;
    case 'DECRYPTION_FAILED':
      return "the assertion is encrypted: give the SP's private key with --sp-key FILE (repeat it for the old and the new key during a rollover)";
    case 'SIGNATURE_INVALID':
    case 'SIGNATURE_KEY_UNTRUSTED': {
      const carried = carriedCertificate(xml);
      return carried === undefined
        ? undefined
        : `the message carries a certificate with SHA-256 fingerprint ${carried}; if the IdP's metadata lists it, pass that certificate with --idp-cert FILE or --idp-metadata (shown as a hint only: the signature is checked against the keys you give, never against one the message brings)`;
    }
    default:
      return undefined;
  }
}

/**
 * Attaches the command-line hint for `err` (see {@link cliHint}) and returns `err` for rethrowing.
 * @param err - what validation threw
 * @param xml - the message, when it could be decoded
 */
export function withCliHint(err: unknown, xml: string | undefined): unknown {
  return withHint(err, cliHint(err, xml));
}

/**
 * Attaches a command-line hint to `err` (printed as `hint` in the failure JSON) and returns `err`.
 * @param err - what the command threw
 * @param hint - what to type next, or undefined for none
 */
export function withHint(err: unknown, hint: string | undefined): unknown {
  if (hint !== undefined && typeof err === 'object' && err !== null) {
    Object.defineProperty(err, HINT, { value: hint, enumerable: false });
  }
  return err;
}

/** The hint attached by {@link withCliHint}, if any. */
export function attachedHint(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null
    ? ((err as { [HINT]?: string })[HINT] ?? undefined)
    : undefined;
}
