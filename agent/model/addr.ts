/**
 * Address parsing and arithmetic. `ip-address` does the parsing (it knows every
 * IPv6 text form and rejects junk); this file adds the few things nova's JSON
 * needs on top: masks given as addresses, and EUI-64 interface ids.
 */
import { Address4, Address6 } from 'ip-address';

export type Family = 4 | 6;

/** IPv6's minimum link MTU (RFC 8200 section 5): below it the kernel removes IPv6 from a link. */
export const IPV6_MIN_MTU = 1280;
/** The largest MTU a Linux link takes (an unsigned 16-bit IP length). */
export const MAX_MTU = 65535;

/** A host address with its prefix length, canonical text form. */
export interface Cidr {
  readonly address: string;
  readonly prefix: number;
}

function bare(text: string): boolean {
  // ip-address accepts "addr/len" and "addr%zone" inside one string; we parse
  // those parts ourselves so a stray suffix is an error, not a silent mask.
  return !/[/%\s]/.test(text);
}

export function parseAddress(text: unknown, family: Family): string | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64 || !bare(text)) return undefined;
  try {
    if (family === 4) {
      if (!Address4.isValid(text)) return undefined;
      return new Address4(text).correctForm();
    }
    if (!Address6.isValid(text)) return undefined;
    const a = new Address6(text);
    // An embedded IPv4 tail is still an IPv6 address; canonical RFC 5952 text.
    return a.correctForm();
  } catch {
    return undefined;
  }
}

export function familyOf(text: string): Family | undefined {
  if (parseAddress(text, 4)) return 4;
  if (parseAddress(text, 6)) return 6;
  return undefined;
}

/**
 * A netmask as nova writes it: dotted IPv4 (`255.255.255.0`), IPv6 mask form
 * (`ffff:ffff:ffff:ffff::`), or a prefix length (`64` or `/64`). Returns the
 * prefix length, or an error message.
 */
export function parseNetmask(mask: unknown, family: Family): number | string {
  const max = family === 4 ? 32 : 128;
  if (typeof mask === 'number' || (typeof mask === 'string' && /^\/?\d{1,3}$/.test(mask))) {
    const n = typeof mask === 'number' ? mask : Number(mask.replace('/', ''));
    if (!Number.isInteger(n) || n < 0 || n > max) return `prefix length ${String(mask)} is out of range 0-${max}`;
    return n;
  }
  const addr = parseAddress(mask, family);
  if (!addr) return `${JSON.stringify(mask)} is neither a prefix length nor an IPv${family} mask`;
  const bits = family === 4 ? new Address4(addr).bigInt() : new Address6(addr).bigInt();
  const binary = bits.toString(2).padStart(max, '0');
  const prefix = binary.indexOf('0') === -1 ? max : binary.indexOf('0');
  if (binary.slice(prefix).includes('1')) return `mask ${addr} is not contiguous`;
  return prefix;
}

/** The network address of `address/prefix`, canonical text. */
export function networkOf(address: string, prefix: number, family: Family): string {
  if (family === 4) return new Address4(`${address}/${prefix}`).startAddress().correctForm();
  return new Address6(`${address}/${prefix}`).startAddress().correctForm();
}

/** Dotted IPv4 netmask for a prefix length (ifupdown and ifcfg both accept it). */
export function ipv4Netmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

/**
 * The modified EUI-64 address a kernel with addr_gen_mode=0 forms from `mac` in
 * a /64 (RFC 4291 appendix A: flip the universal/local bit, insert ff:fe).
 * Neutron computes the same to fill ip_address for SLAAC ports.
 */
export function eui64Address(prefix64: string, mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const iid = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((iid[i]! << 8) | iid[i + 1]!).toString(16));
  const net = new Address6(`${prefix64}/64`).startAddress().canonicalForm().split(':').slice(0, 4);
  return new Address6([...net, ...groups].join(':')).correctForm();
}

/** `address` lies in `network/prefix` (both canonical text of one family). */
function within(address: bigint, network: bigint, prefix: number, bits: number): boolean {
  const shift = BigInt(bits - prefix);
  return address >> shift === network >> shift;
}

const V6 = (text: string): bigint => new Address6(text).bigInt();
const V4 = (text: string): bigint => new Address4(text).bigInt();

/**
 * Why `address` cannot be a host's static address, or undefined if it can.
 * IPv6: only global (2000::/3) or unique-local (fc00::/7) unicast (RFC 4291
 * 2.4, RFC 4193); the kernel gives a link its own fe80:: address, and ::,
 * ::1, multicast or an IPv4-mapped address on a NIC breaks the link.
 * IPv4: unicast only — not 0/8, loopback, multicast or reserved (RFC 6890).
 */
export function hostAddressProblem(address: string, family: Family): string | undefined {
  if (family === 6) {
    const a = V6(address);
    if (a === 0n) return 'is the unspecified address';
    if (a === 1n) return 'is the loopback address';
    if (within(a, V6('ff00::'), 8, 128)) return 'is a multicast address';
    if (within(a, V6('fe80::'), 10, 128)) return 'is a link-local address (the kernel forms its own)';
    if (within(a, V6('::ffff:0:0'), 96, 128)) return 'is an IPv4-mapped address';
    if (!within(a, V6('2000::'), 3, 128) && !within(a, V6('fc00::'), 7, 128)) return 'is neither global (2000::/3) nor unique-local (fc00::/7) unicast';
    return undefined;
  }
  const a = V4(address);
  if (within(a, V4('0.0.0.0'), 8, 32)) return 'is in 0.0.0.0/8 ("this network")';
  if (within(a, V4('127.0.0.0'), 8, 32)) return 'is a loopback address';
  if (within(a, V4('224.0.0.0'), 4, 32)) return 'is a multicast address';
  if (within(a, V4('240.0.0.0'), 4, 32)) return 'is a reserved or broadcast address';
  return undefined;
}

/**
 * Why `address` cannot be a next hop, or undefined if it can. Link-local is
 * fine (routers' usual address); the unspecified address, loopback, multicast
 * or an IPv4-mapped one would make `ip route` fail and with it the interface.
 */
export function gatewayProblem(address: string, family: Family): string | undefined {
  const problem = hostAddressProblem(address, family);
  if (family === 6 && problem?.startsWith('is a link-local')) return undefined;
  if (family === 6 && problem?.startsWith('is neither')) return undefined; // any other unicast may route
  return problem;
}
