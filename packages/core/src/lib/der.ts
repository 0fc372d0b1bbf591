// A minimal DER reader (ITU-T X.690 §8, §10): enough to read X.509 certificates, SPKI and
// PKCS#8/PKCS#1/SEC1 key containers. Definite lengths only, as DER requires.

/** One decoded TLV. @internal */
export interface Tlv {
  /** The full identifier octet (class, constructed bit, tag number < 31). */
  readonly tag: number;
  /** Offset of the first identifier octet in the source buffer. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset one past the last content octet. */
  readonly end: number;
  /** The source buffer. */
  readonly buf: Uint8Array;
}

/** Thrown by the DER reader; callers turn it into a SamlError with context. @internal */
export class DerError extends Error {}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  T61String: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Reads the TLV at `offset` (which must lie before `limit`). @internal */
export function readTlv(buf: Uint8Array, offset: number = 0, limit: number = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated DER: no room for tag and length');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high-tag-number form is not used in X.509');
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('indefinite or oversize DER length');
    if (p + n > limit) throw new DerError('truncated DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > limit) throw new DerError('DER content runs past its container');
  return { tag, start: offset, contentStart: p, end: p + len, buf };
}

/** The children of a constructed TLV. @internal */
export function children(tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = tlv.contentStart;
  while (p < tlv.end) {
    const c = readTlv(tlv.buf, p, tlv.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** Asserts a tag and returns the TLV. @internal */
export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) {
    throw new DerError(
      `${what}: expected tag 0x${tag.toString(16)}, found ${tlv ? `0x${tlv.tag.toString(16)}` : 'nothing'}`,
    );
  }
  return tlv;
}

/** Content octets of a TLV (a view, not a copy). @internal */
export function content(tlv: Tlv): Uint8Array {
  return tlv.buf.subarray(tlv.contentStart, tlv.end);
}

/** The whole encoding of a TLV (a view). @internal */
export function encoding(tlv: Tlv): Uint8Array {
  return tlv.buf.subarray(tlv.start, tlv.end);
}

/** Decodes an OBJECT IDENTIFIER to dotted form. @internal */
export function readOid(tlv: Tlv): string {
  const c = content(expectTag(tlv, TAG.OID, 'OID'));
  if (c.length === 0) throw new DerError('empty OID');
  const parts: number[] = [];
  let v = 0;
  for (const b of c) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift()!;
  const a = first < 40 ? 0 : first < 80 ? 1 : 2;
  return [a, first - a * 40, ...parts].join('.');
}

/** Decodes a string type (UTF8, Printable, IA5, T61 as Latin-1, BMP). @internal */
export function readString(tlv: Tlv): string {
  const c = content(tlv);
  switch (tlv.tag) {
    case TAG.UTF8String:
      return new TextDecoder().decode(c);
    case TAG.BMPString: {
      let s = '';
      for (let i = 0; i + 1 < c.length; i += 2) s += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
      return s;
    }
    default:
      return String.fromCharCode(...c);
  }
}

/** Decodes UTCTime or GeneralizedTime (RFC 5280 §4.1.2.5). @internal */
export function readTime(tlv: Tlv): Date {
  const s = readString(tlv);
  const m =
    tlv.tag === TAG.UTCTime
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new DerError(`unsupported time value ${JSON.stringify(s)}`);
  let year = Number(m[1]);
  if (tlv.tag === TAG.UTCTime) year += year >= 50 ? 1900 : 2000;
  return new Date(
    Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])),
  );
}

// --- writer -------------------------------------------------------------------------------

/** Encodes one TLV. @internal */
export function tlv(tag: number, body: Uint8Array): Uint8Array {
  const len = body.length;
  let head: number[];
  if (len < 0x80) head = [tag, len];
  else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    head = [tag, 0x80 | bytes.length, ...bytes];
  }
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Encodes a constructed TLV from already-encoded children. @internal */
export function seq(tag: number, ...items: Uint8Array[]): Uint8Array {
  const total = items.reduce((n, i) => n + i.length, 0);
  const body = new Uint8Array(total);
  let o = 0;
  for (const i of items) {
    body.set(i, o);
    o += i.length;
  }
  return tlv(tag, body);
}

/** Encodes an OBJECT IDENTIFIER from dotted form. @internal */
export function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map(Number);
  const first = parts[0]! * 40 + parts[1]!;
  const bytes: number[] = [];
  for (const n of [first, ...parts.slice(2)]) {
    const enc: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128))
      enc.unshift((v & 0x7f) | 0x80);
    bytes.push(...enc);
  }
  return tlv(TAG.OID, new Uint8Array(bytes));
}

/** Encodes a non-negative INTEGER from big-endian magnitude bytes. @internal */
export function integer(magnitude: Uint8Array | number): Uint8Array {
  let bytes: number[];
  if (typeof magnitude === 'number') {
    bytes = [];
    for (let n = magnitude; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    if (bytes.length === 0) bytes = [0];
  } else {
    bytes = Array.from(magnitude);
    while (bytes.length > 1 && bytes[0] === 0) bytes.shift();
  }
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(TAG.INTEGER, new Uint8Array(bytes));
}
