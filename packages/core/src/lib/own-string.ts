/**
 * A copy of `value` that shares no memory with any other string.
 *
 * V8 (and other engines) make `slice`/`substring` results and regex captures point into the
 * string they were taken from, and a concatenation points at its parts; either keeps the whole
 * original alive. A value read out of a SAML message (an assertion ID, an issuer) is such a
 * view into the decoded XML, so keeping it as a map key would keep the whole message text
 * alive for as long as the entry lives (measured: ~5 KiB per remembered assertion instead of
 * ~200 bytes). A JSON round trip builds a new flat string from the characters; it is exact for
 * every string, lone surrogates included (`JSON.stringify` escapes them, `JSON.parse` restores
 * them).
 *
 * Every value a store or cache keeps past the call that handed it in goes through this.
 *
 * @param value - any string
 * @returns an equal string that keeps no other string alive
 * @internal
 */
export function ownString(value: string): string {
  return JSON.parse(JSON.stringify(value)) as string;
}
