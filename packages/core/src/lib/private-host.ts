// Host names an SP must not be sent to by someone else's metadata: the machine itself and the
// networks behind it. Only literal addresses (and localhost) can be recognised here; a DNS name
// that resolves to a private address is for the network (egress rules) to stop.

/** Whether a URL host name (as `URL.hostname` gives it) is a loopback host. @internal */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const v4 = ipv4Of(h);
  if (v4 !== undefined) return v4[0] === 127;
  return h === '::1';
}

/**
 * Whether a URL host name is loopback, private or link-local: 127/8, 0/8, RFC 1918 (10/8,
 * 172.16/12, 192.168/16), 169.254/16 (RFC 3927), 100.64/10 (RFC 6598), `::1`, `::`, fc00::/7
 * (RFC 4193), fe80::/10 (RFC 4291), and IPv4-mapped IPv6 forms of these.
 * @internal
 */
export function isLocalOrPrivateHostname(hostname: string): boolean {
  if (isLoopbackHostname(hostname)) return true;
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = ipv4Of(h);
  if (v4 !== undefined) return isPrivateV4(v4);
  if (!h.includes(':')) return false;
  if (h === '::') return true;
  // IPv4-mapped (::ffff:a.b.c.d, which URL writes as ::ffff:xxxx:yyyy).
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (mapped) {
    const hi = Number.parseInt(mapped[1]!, 16);
    const lo = Number.parseInt(mapped[2]!, 16);
    return isPrivateV4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  }
  const first = Number.parseInt(h.split(':')[0] || '0', 16);
  // fc00::/7 (unique local) and fe80::/10 (link-local).
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

function ipv4Of(h: string): readonly number[] | undefined {
  // URL normalises every IPv4 spelling (decimal, hex, short forms) to dotted quads.
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m ? m.slice(1).map(Number) : undefined;
}

function isPrivateV4(a: readonly number[]): boolean {
  const [x = 0, y = 0] = a;
  return (
    x === 127 ||
    x === 0 ||
    x === 10 ||
    (x === 172 && y >= 16 && y <= 31) ||
    (x === 192 && y === 168) ||
    (x === 169 && y === 254) ||
    (x === 100 && y >= 64 && y <= 127)
  );
}
