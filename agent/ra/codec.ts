/**
 * Router Advertisement decoding and Router Solicitation encoding (RFC 4861 §4.1,
 * §4.2, §4.6), with Route Information (RFC 4191), RDNSS and DNSSL (RFC 8106)
 * and PREF64 (RFC 8781). Pure: bytes in, typed value out. Anything malformed
 * is an RaDecodeError, never another exception: the input comes off the wire.
 */
import { formatIpv6 } from '../model/ipv6Text.js';

export class RaDecodeError extends Error {
  override name = 'RaDecodeError';
}

export type RouterPreference = 'high' | 'medium' | 'low';

export interface PrefixInformation {
  readonly prefix: string;
  readonly prefixLength: number;
  readonly onLink: boolean;
  readonly autonomous: boolean;
  /** Seconds; 0xffffffff is infinity. */
  readonly validLifetime: number;
  readonly preferredLifetime: number;
}

export interface RouteInformation {
  readonly prefix: string;
  readonly prefixLength: number;
  readonly preference: RouterPreference;
  readonly lifetime: number;
}

export interface RouterAdvertisement {
  readonly curHopLimit: number;
  readonly managed: boolean;
  readonly other: boolean;
  readonly homeAgent: boolean;
  readonly preference: RouterPreference;
  readonly proxy: boolean;
  /** Seconds; 0 means "not a default router". */
  readonly lifetime: number;
  readonly reachableTime: number;
  readonly retransTimer: number;
  readonly sourceLinkLayerAddress: string | undefined;
  readonly mtu: number | undefined;
  readonly prefixes: readonly PrefixInformation[];
  readonly routes: readonly RouteInformation[];
  readonly rdnss: readonly { readonly lifetime: number; readonly servers: readonly string[] }[];
  readonly dnssl: readonly { readonly lifetime: number; readonly domains: readonly string[] }[];
  readonly pref64: readonly { readonly lifetime: number; readonly prefix: string; readonly prefixLength: number }[];
}

export const ICMP6_ROUTER_SOLICITATION = 133;
export const ICMP6_ROUTER_ADVERTISEMENT = 134;

const OPT = { sourceLinkLayer: 1, prefix: 3, mtu: 5, route: 24, rdnss: 25, dnssl: 31, pref64: 38 } as const;

/** RFC 4191 §2.1: 01 high, 00 medium, 11 low, 10 reserved. */
function preference(bits: number): RouterPreference | undefined {
  return (['medium', 'high', undefined, 'low'] as const)[bits & 0x3];
}

function ipv6At(b: Uint8Array, at: number, length = 16): string {
  const bytes = new Uint8Array(16);
  bytes.set(b.subarray(at, at + length));
  return formatIpv6(bytes);
}

/** DNS names in wire format (RFC 1035 §3.1), as DNSSL carries them; trailing zero padding allowed. */
function dnsNames(b: Uint8Array): string[] {
  const names: string[] = [];
  let at = 0;
  while (at < b.length) {
    if (b[at] === 0) {
      at++; // padding, or an empty name between names
      continue;
    }
    const labels: string[] = [];
    for (;;) {
      if (at >= b.length) throw new RaDecodeError('DNSSL: name runs past the option');
      const len = b[at]!;
      if (len === 0) {
        at++;
        break;
      }
      if (len > 63) throw new RaDecodeError('DNSSL: label longer than 63 octets (compression is not allowed)');
      if (at + 1 + len > b.length) throw new RaDecodeError('DNSSL: label runs past the option');
      labels.push(String.fromCharCode(...b.subarray(at + 1, at + 1 + len)));
      at += 1 + len;
    }
    names.push(labels.join('.'));
  }
  return names;
}

/** Decode an ICMPv6 Router Advertisement (the ICMPv6 message, without the IPv6 header). */
export function decodeRouterAdvertisement(bytes: Uint8Array): RouterAdvertisement {
  if (bytes.length < 16) throw new RaDecodeError(`too short for a Router Advertisement: ${bytes.length} octets`);
  if (bytes[0] !== ICMP6_ROUTER_ADVERTISEMENT) throw new RaDecodeError(`ICMPv6 type ${bytes[0]} is not a Router Advertisement`);
  if (bytes[1] !== 0) throw new RaDecodeError(`ICMPv6 code ${bytes[1]} must be 0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = bytes[5]!;
  const ra = {
    curHopLimit: bytes[4]!,
    managed: (flags & 0x80) !== 0,
    other: (flags & 0x40) !== 0,
    homeAgent: (flags & 0x20) !== 0,
    // The reserved value 10 is treated as medium (RFC 4191 §2.2).
    preference: preference(flags >> 3) ?? 'medium',
    proxy: (flags & 0x04) !== 0,
    lifetime: view.getUint16(6),
    reachableTime: view.getUint32(8),
    retransTimer: view.getUint32(12),
    sourceLinkLayerAddress: undefined as string | undefined,
    mtu: undefined as number | undefined,
    prefixes: [] as PrefixInformation[],
    routes: [] as RouteInformation[],
    rdnss: [] as { lifetime: number; servers: string[] }[],
    dnssl: [] as { lifetime: number; domains: string[] }[],
    pref64: [] as { lifetime: number; prefix: string; prefixLength: number }[],
  };
  for (let at = 16; at < bytes.length; ) {
    if (at + 2 > bytes.length) throw new RaDecodeError(`option header truncated at octet ${at}`);
    const type = bytes[at]!;
    const units = bytes[at + 1]!;
    if (units === 0) throw new RaDecodeError(`option ${type} at octet ${at} has length 0`); // RFC 4861 §4.6: drop the packet
    const end = at + units * 8;
    if (end > bytes.length) throw new RaDecodeError(`option ${type} at octet ${at} runs past the packet`);
    const o = bytes.subarray(at, end);
    const ov = new DataView(o.buffer, o.byteOffset, o.byteLength);
    switch (type) {
      case OPT.sourceLinkLayer:
        ra.sourceLinkLayerAddress = [...o.subarray(2, Math.min(8, o.length))].map((x) => x.toString(16).padStart(2, '0')).join(':');
        break;
      case OPT.prefix: {
        if (units !== 4) throw new RaDecodeError(`prefix information option has length ${units}, not 4`);
        const plen = o[2]!;
        if (plen > 128) throw new RaDecodeError(`prefix length ${plen} is over 128`);
        ra.prefixes.push({
          prefix: ipv6At(o, 16),
          prefixLength: plen,
          onLink: (o[3]! & 0x80) !== 0,
          autonomous: (o[3]! & 0x40) !== 0,
          validLifetime: ov.getUint32(4),
          preferredLifetime: ov.getUint32(8),
        });
        break;
      }
      case OPT.mtu:
        if (units !== 1) throw new RaDecodeError(`MTU option has length ${units}, not 1`);
        ra.mtu = ov.getUint32(4);
        break;
      case OPT.route: {
        if (units > 3) throw new RaDecodeError(`route information option has length ${units}, more than 3`);
        const plen = o[2]!;
        // RFC 4191 §2.3: the length must hold the prefix.
        if (plen > 128 || (plen > 64 && units < 3) || (plen > 0 && units < 2)) throw new RaDecodeError(`route information length ${units} cannot hold a /${plen}`);
        const pref = preference(o[3]! >> 3);
        if (pref === undefined) break; // reserved preference: the option MUST be ignored
        ra.routes.push({ prefix: ipv6At(o, 8, (units - 1) * 8), prefixLength: plen, preference: pref, lifetime: ov.getUint32(4) });
        break;
      }
      case OPT.rdnss: {
        if (units < 3 || units % 2 === 0) throw new RaDecodeError(`RDNSS option has length ${units}; it must be 1 + 2 per address`);
        const servers: string[] = [];
        for (let a = 8; a < o.length; a += 16) servers.push(ipv6At(o, a));
        ra.rdnss.push({ lifetime: ov.getUint32(4), servers });
        break;
      }
      case OPT.dnssl:
        if (units < 2) throw new RaDecodeError(`DNSSL option has length ${units}, less than 2`);
        ra.dnssl.push({ lifetime: ov.getUint32(4), domains: dnsNames(o.subarray(8)) });
        break;
      case OPT.pref64: {
        if (units !== 2) break; // RFC 8781 §4: other lengths are ignored
        const field = ov.getUint16(2);
        const plc = field & 0x7;
        const plen = [96, 64, 56, 48, 40, 32][plc];
        if (plen === undefined) break; // invalid PLC: ignored
        ra.pref64.push({ lifetime: field & 0xfff8, prefix: ipv6At(o, 4, 12), prefixLength: plen });
        break;
      }
      default:
        break; // unknown options are skipped (RFC 4861 §4.6)
    }
    at = end;
  }
  return ra;
}

/** A Router Solicitation, with our link-layer address when we have a source address to send from. */
export function encodeRouterSolicitation(mac: string | undefined): Uint8Array {
  // The kernel fills in the checksum on raw ICMPv6 sockets.
  const rs = new Uint8Array(mac ? 16 : 8);
  rs[0] = ICMP6_ROUTER_SOLICITATION;
  if (mac) {
    rs[8] = OPT.sourceLinkLayer;
    rs[9] = 1;
    rs.set(mac.split(':').map((h) => parseInt(h, 16)), 10);
  }
  return rs;
}
