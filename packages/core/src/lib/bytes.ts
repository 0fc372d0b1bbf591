import { describeValue, SamlError } from '../errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 encodes a string. @internal */
export function utf8(value: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(value);
}

/**
 * Decodes UTF-8, refusing invalid sequences.
 * @throws SamlError `XML_PARSE_ERROR` when the bytes are not UTF-8
 * @internal
 */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new SamlError('XML_PARSE_ERROR', 'The message is not valid UTF-8.', {
      expected: 'UTF-8 text (SAML bindings §3.4.4, §3.5.4)',
      found: `${bytes.length} bytes that do not decode as UTF-8`,
      hint: 'check that the value was base64-decoded once and not re-encoded',
      cause,
    });
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
/** Whitespace that {@link fromBase64} skips (IdPs wrap long lines). */
const HAS_SPACE = /\s/;
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Standard base64 (RFC 4648 §4) with padding, no line breaks. @internal */
export function toBase64(bytes: Uint8Array): string {
  return encode64(bytes, B64, '=');
}

/** Base64 of `bytes` in `alphabet` (64 characters), the last group padded with `pad`. */
function encode64(bytes: Uint8Array, alphabet: string, pad: string): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + pad + pad;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + pad;
  }
  return out;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Encodes bytes as base64url without padding (RFC 4648 §5): the alphabet of cookies, URLs and
 * store keys, in one pass (no standard base64 rewritten afterwards).
 * @internal
 */
export function toBase64Url(bytes: Uint8Array): string {
  return encode64(bytes, B64URL, '');
}

/**
 * The runtime's own base64 decoder's "binary string" (`atob`, native in Node, Deno, Bun, Workers
 * and browsers), or undefined when it refuses the value or the runtime has none. It implements
 * WHATWG Infra's "forgiving-base64 decode": ASCII whitespace removed, then at most two "="
 * dropped when the length is a multiple of four, a remainder of one group of one character
 * refused, anything outside the alphabet refused, trailing bits discarded. What it accepts,
 * {@link decodeBase64} accepts too, with the same bytes (differential property tests in
 * test/lib/bytes.test.ts); whatever it refuses goes to {@link decodeBase64}, which accepts it or
 * explains the error.
 */
function nativeBinary(value: string): string | undefined {
  if (typeof globalThis.atob !== 'function') return undefined;
  try {
    return globalThis.atob(value);
  } catch {
    return undefined;
  }
}

/** The bytes of a "binary string" (one byte per character, 0–255). */
function binaryBytes(binary: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** A character above U+007F: a byte of a multi-byte UTF-8 sequence in a binary string. */
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Decodes base64 to UTF-8 text (a SAML message on the POST binding, SAML bindings §3.5.4), with
 * what {@link fromBase64} and {@link fromUtf8} accept and refuse. Where the runtime's decoder
 * accepts the value and every byte is ASCII (most SAML messages), its result already is the
 * text: no byte array and no UTF-8 pass.
 *
 * @returns the text, and how many bytes it decoded from (for size limits)
 * @throws SamlError `BASE64_INVALID`, `XML_PARSE_ERROR` (not UTF-8)
 * @internal
 */
export function fromBase64Utf8(
  value: string,
  what = 'The value',
): { readonly text: string; readonly byteLength: number } {
  const binary = nativeBinary(value);
  if (binary !== undefined && !NON_ASCII.test(binary)) {
    return { text: binary, byteLength: binary.length };
  }
  const bytes = binary !== undefined ? binaryBytes(binary) : decodeBase64(value, what);
  return { text: fromUtf8(bytes), byteLength: bytes.length };
}

/**
 * Decodes standard base64, tolerating whitespace (IdPs wrap lines) and missing padding, refusing
 * any other character.
 *
 * @param value - the base64 text
 * @param what - what the value is, for the error message
 * @throws SamlError `BASE64_INVALID`
 * @internal
 */
export function fromBase64(value: string, what = 'The value'): Uint8Array<ArrayBuffer> {
  const binary = nativeBinary(value);
  return binary !== undefined ? binaryBytes(binary) : decodeBase64(value, what);
}

/**
 * {@link fromBase64}'s own decoder: the same acceptance as the runtime's where that has one, and
 * the error, with the position of the first character outside the alphabet, where it refuses.
 * @internal
 */
export function decodeBase64(value: string, what = 'The value'): Uint8Array<ArrayBuffer> {
  // Most values carry no whitespace: then the value itself is read, without a cleaned copy.
  const clean = HAS_SPACE.test(value) ? value.replace(/\s+/g, '') : value;
  // RFC 4648 §3.2: at most two "=" end the data. `end` is where the data before them ends.
  let end = clean.length;
  if (end > 0 && clean.charCodeAt(end - 1) === 61) end--;
  if (end > 0 && clean.charCodeAt(end - 1) === 61) end--;
  // Padding may be left out entirely, but padding that is present must complete the last group.
  const padded = clean.length !== end;
  const bad = end % 4 === 1 || (padded && clean.length % 4 !== 0);
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  let i = 0;
  if (!bad) {
    // Fast path: whole groups of four characters. Stops at the first group with a character
    // outside the alphabet; the loop below then reports it with its position.
    const whole = end - (end % 4);
    for (; i < whole; i += 4) {
      const c0 = clean.charCodeAt(i);
      const c1 = clean.charCodeAt(i + 1);
      const c2 = clean.charCodeAt(i + 2);
      const c3 = clean.charCodeAt(i + 3);
      if ((c0 | c1 | c2 | c3) > 127) break;
      const n0 = B64_INDEX[c0]!;
      const n1 = B64_INDEX[c1]!;
      const n2 = B64_INDEX[c2]!;
      const n3 = B64_INDEX[c3]!;
      if ((n0 | n1 | n2 | n3) < 0) break;
      const n = (n0 << 18) | (n1 << 12) | (n2 << 6) | n3;
      out[o++] = n >> 16;
      out[o++] = (n >> 8) & 0xff;
      out[o++] = n & 0xff;
    }
  }
  for (; i < end; i++) {
    const code = clean.charCodeAt(i);
    const v = code < 128 ? B64_INDEX[code]! : -1;
    if (v < 0 || bad) {
      throw new SamlError('BASE64_INVALID', `${what} is not valid base64.`, {
        expected: 'base64 (A–Z, a–z, 0–9, +, /, optional = padding)',
        found: bad
          ? `a length of ${end} characters, which no base64 encoding has`
          : `the character ${JSON.stringify(clean[i])} at position ${i}`,
        hint: 'a value taken from a URL must be URL-decoded first (+ and %2B); one taken from a form must not be',
      });
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (end === 0 && value.trim() !== '') {
    throw new SamlError('BASE64_INVALID', `${what} is not valid base64.`, {
      expected: 'base64 data',
      found: describeValue(value),
    });
  }
  return out.subarray(0, o) as Uint8Array<ArrayBuffer>;
}

/** Lower-case hex of bytes. @internal */
export function toHex(bytes: Uint8Array, separator = ''): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(separator);
}

/** Constant-time comparison of two byte arrays of possibly different length. @internal */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Concatenates byte arrays. @internal */
export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
