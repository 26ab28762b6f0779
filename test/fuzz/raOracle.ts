/**
 * An independent reading of RFC 4861 §4.2/§4.6, RFC 4191 §2.3, RFC 8106 §5
 * and RFC 8781 §4, written from the RFCs rather than from agent/ra/codec.ts:
 * whether a packet is a well-formed Router Advertisement, and if so how many
 * of each option the decoder must return. The fuzz compares the two.
 */

export interface Shape {
  prefixes: number;
  routes: number;
  /** Servers per RDNSS option. */
  rdnss: number[];
  dnssl: number;
  pref64: number;
  mtu: boolean;
}

/** RFC 1035 §3.1 names with no compression, zero padding allowed (RFC 8106 §5.2). */
function dnsNamesOk(b: Uint8Array): boolean {
  let inName = false;
  for (let at = 0; at < b.length; ) {
    const len = b[at]!;
    if (len === 0) {
      inName = false;
      at++;
      continue;
    }
    if (len > 63 || at + 1 + len > b.length) return false;
    inName = true;
    at += 1 + len;
  }
  return !inName; // a name must end with its zero octet inside the option
}

/** `undefined`: the packet must be rejected. */
export function expectedShape(p: Uint8Array): Shape | undefined {
  if (p.length < 16 || p[0] !== 134 || p[1] !== 0) return undefined;
  const shape: Shape = { prefixes: 0, routes: 0, rdnss: [], dnssl: 0, pref64: 0, mtu: false };
  let at = 16;
  while (at < p.length) {
    if (p.length - at < 2) return undefined;
    const type = p[at]!;
    const units = p[at + 1]!;
    const len = units * 8;
    if (units === 0 || at + len > p.length) return undefined;
    const plen = p[at + 2]!;
    if (type === 3) {
      if (units !== 4 || plen > 128) return undefined;
      shape.prefixes++;
    } else if (type === 5) {
      if (units !== 1) return undefined;
      shape.mtu = true;
    } else if (type === 24) {
      // Length 1 holds /0, 2 up to /64, 3 up to /128; a reserved preference (10) means "ignore the option".
      const max = [-1, 0, 64, 128][units];
      if (max === undefined || plen > max) return undefined;
      if (((p[at + 3]! >> 3) & 3) !== 2) shape.routes++;
    } else if (type === 25) {
      if (units < 3 || (units - 1) % 2 !== 0) return undefined;
      shape.rdnss.push((units - 1) / 2);
    } else if (type === 31) {
      if (units < 2 || !dnsNamesOk(p.subarray(at + 8, at + len))) return undefined;
      shape.dnssl++;
    } else if (type === 38) {
      if (units === 2 && (((p[at + 2]! << 8) | p[at + 3]!) & 7) <= 5) shape.pref64++;
    }
    at += len;
  }
  return shape;
}
