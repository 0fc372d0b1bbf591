// The application/x-www-form-urlencoded parser of the POST bindings (SAML bindings §3.5.4: the
// message and RelayState arrive as HTML form fields). It follows WHATWG URL §5.1
// ("application/x-www-form-urlencoded parsing"), as `URLSearchParams` does (a property test
// compares it with a byte-level reference, and with URLSearchParams on the ASCII bodies browsers
// post), without a per-character decoding of the large base64 field: a field with no escape is
// taken as it is, one with well-formed escapes is decoded by the engine in one call.

/** The fields of a form, in order, with the lookups of `URLSearchParams` the SP uses. @internal */
export interface FormFields extends Iterable<[string, string]> {
  /** The first value of `name`, or null. */
  get(name: string): string | null;
  /** Every value of `name`, in order. */
  getAll(name: string): string[];
  has(name: string): boolean;
}

const lenientUtf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const PLUS = /\+/g;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * WHATWG URL §1.3 "percent-decode" of the UTF-8 bytes of `s` (a "%" not followed by two hex digits
 * stays a "%"), then UTF-8 decode without BOM, invalid sequences replaced by U+FFFD.
 */
function percentDecodeSlow(s: string): string {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25 && i + 2 < bytes.length) {
      const hi = hexValue(bytes[i + 1]!);
      const lo = hexValue(bytes[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[o++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[o++] = b;
  }
  return lenientUtf8.decode(out.subarray(0, o));
}

/** A name or value: "+" is a space, then percent-decoding (WHATWG URL §5.1 steps 3.4-3.5). */
function decodeComponent(s: string): string {
  const spaced = s.indexOf('+') === -1 ? s : s.replace(PLUS, ' ');
  if (spaced.indexOf('%') === -1) return spaced;
  try {
    // Well-formed escapes of valid UTF-8: the same result, decoded by the engine.
    return decodeURIComponent(spaced);
  } catch {
    // A stray "%" or an invalid UTF-8 sequence: the exact, byte by byte, decoding.
    return percentDecodeSlow(spaced);
  }
}

class Fields implements FormFields {
  readonly #pairs: readonly [string, string][];
  constructor(pairs: readonly [string, string][]) {
    this.#pairs = pairs;
  }
  get(name: string): string | null {
    for (const [n, v] of this.#pairs) if (n === name) return v;
    return null;
  }
  getAll(name: string): string[] {
    const all: string[] = [];
    for (const [n, v] of this.#pairs) if (n === name) all.push(v);
    return all;
  }
  has(name: string): boolean {
    return this.get(name) !== null;
  }
  [Symbol.iterator](): Iterator<[string, string]> {
    return this.#pairs[Symbol.iterator]();
  }
}

/**
 * Parses an `application/x-www-form-urlencoded` body (WHATWG URL §5.1, as `URLSearchParams`): fields
 * split on "&" (empty ones skipped; a leading "?" ignored), name and value on the first "=", "+" as space, percent-escapes
 * decoded as UTF-8 (invalid sequences become U+FFFD). Linear in the length of `text`.
 * @internal
 */
export function parseForm(text: string): FormFields {
  // URLSearchParams takes a USVString: lone surrogates become U+FFFD first.
  const input = SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
  const pairs: [string, string][] = [];
  // As the URLSearchParams constructor (WHATWG URL §6.2 step 1), which samlkit used before: a
  // leading "?" is not part of the first name.
  let start = input.startsWith('?') ? 1 : 0;
  while (start <= input.length) {
    let amp = input.indexOf('&', start);
    if (amp === -1) amp = input.length;
    if (amp > start) {
      // The field alone is searched for "=", so a long run of fields stays linear.
      const field = input.slice(start, amp);
      const eq = field.indexOf('=');
      pairs.push(
        eq === -1
          ? [decodeComponent(field), '']
          : [decodeComponent(field.slice(0, eq)), decodeComponent(field.slice(eq + 1))],
      );
    }
    start = amp + 1;
  }
  return new Fields(pairs);
}
