/**
 * The one rtnetlink reader: links (with the kernel's IPv6 RA flags),
 * addresses (with IFA_F_* flags and lifetimes) and routes (protocol, expiry,
 * preference), each from one dump. Netlink rather than `ip -j`: no child
 * process (≈10 ms each in the binary), no dependence on iproute2's JSON
 * version, and the koffi binding is already in the binary for `ra`.
 * Layouts: include/uapi/linux/{netlink,rtnetlink,if_addr,if_link}.h.
 */
import { formatIpv6 } from '../model/ipv6Text.js';
import * as c from '../ra/libc.js';
import type { Addr, Link, Route, RouteProtocol } from './netlinkTypes.js';

export { IFA_F, type Addr, type Link, type Route, type RouteProtocol } from './netlinkTypes.js';

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_GETADDR = 22;
const RTM_NEWROUTE = 24;
const RTM_GETROUTE = 26;
const AF_UNSPEC = 0;
const AF_INET = 2;

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_PROTINFO = 12;
const IFLA_INET6_FLAGS = 1;

const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_CACHEINFO = 6;
const IFA_FLAGS = 8;

const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_CACHEINFO = 12;
const RTA_TABLE = 15;
const RTA_PREF = 20;
const RT_TABLE_MAIN = 254;
const RTN_UNICAST = 1;
/** USER_HZ: rta_expires is in clock ticks. */
const USER_HZ = 100;

const PROTOCOLS: Record<number, RouteProtocol> = { 2: 'kernel', 3: 'boot', 4: 'static', 9: 'ra', 16: 'dhcp' };

function* attributes(b: Buffer): Generator<[number, Buffer]> {
  for (let at = 0; at + 4 <= b.length; ) {
    const len = b.readUInt16LE(at);
    if (len < 4 || at + len > b.length) return;
    yield [b.readUInt16LE(at + 2) & 0x3fff, b.subarray(at + 4, at + len)];
    at += (len + 3) & ~3;
  }
}

/** One NLM_F_DUMP request; every reply message of `want` type, header included. */
function dump(type: number, family: number, bodyLength: number, want: number): Buffer[] {
  const fd = c.socket(c.AF_NETLINK, c.SOCK_RAW | c.SOCK_CLOEXEC, c.NETLINK_ROUTE);
  if (fd < 0) throw c.lastError('netlink socket');
  try {
    const req = Buffer.alloc(16 + bodyLength);
    req.writeUInt32LE(req.length, 0);
    req.writeUInt16LE(type, 4);
    req.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
    req.writeUInt32LE(1, 8);
    req[16] = family;
    if (c.send(fd, req, req.length, 0) < 0) throw c.lastError('netlink send');
    const out: Buffer[] = [];
    const buf = Buffer.alloc(65536);
    for (;;) {
      const n = Number(c.recv(fd, buf, buf.length, 0));
      if (n < 0) throw c.lastError('netlink recv');
      for (let at = 0; at + 16 <= n; ) {
        const len = buf.readUInt32LE(at);
        const t = buf.readUInt16LE(at + 4);
        if (len < 16 || at + len > n || t === NLMSG_DONE) return out;
        if (t === NLMSG_ERROR) throw new Error(`netlink error ${-buf.readInt32LE(at + 16)}`);
        if (t === want) out.push(Buffer.from(buf.subarray(at, at + len)));
        at += (len + 3) & ~3;
      }
    }
  } finally {
    c.close(fd);
  }
}

const macText = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** Every link with IPv6 (an AF_INET6 dump carries the inet6 flags). */
export function readLinks(): Link[] {
  return dump(RTM_GETLINK, c.AF_INET6, 16, RTM_NEWLINK).map((msg) => {
    const index = msg.readInt32LE(20);
    const flags = msg.readUInt32LE(24);
    let name = '';
    let mac: string | undefined;
    let mtu = 0;
    let inet6Flags = 0;
    for (const [type, data] of attributes(msg.subarray(32))) {
      if (type === IFLA_IFNAME) name = data.toString('latin1').replace(/\0.*$/s, '');
      else if (type === IFLA_ADDRESS && data.length === 6) mac = macText(data);
      else if (type === IFLA_MTU) mtu = data.readUInt32LE(0);
      else if (type === IFLA_PROTINFO) for (const [t, d] of attributes(data)) if (t === IFLA_INET6_FLAGS) inet6Flags = d.readUInt32LE(0);
    }
    return { name, index, up: (flags & IFF_UP) !== 0, loopback: (flags & IFF_LOOPBACK) !== 0, mac, mtu, inet6Flags };
  });
}

/**
 * ifindex → name of every link, IPv6 or not (an AF_UNSPEC dump: an AF_INET6
 * one leaves out links without IPv6, whose IPv4 routes and addresses would
 * then have no name).
 */
export function linkNames(): Map<number, string> {
  const names = new Map<number, string>();
  for (const msg of dump(RTM_GETLINK, AF_UNSPEC, 16, RTM_NEWLINK)) {
    for (const [type, data] of attributes(msg.subarray(32))) if (type === IFLA_IFNAME) names.set(msg.readInt32LE(20), data.toString('latin1').replace(/\0.*$/s, ''));
  }
  return names;
}

const ipText = (b: Buffer): string => (b.length === 4 ? [...b].join('.') : formatIpv6(b));
const lifetime = (v: number): number | null => (v === 0xffffffff ? null : v);

/** Every IPv4 and IPv6 address; `names` maps ifindex → name. */
export function readAddresses(names: ReadonlyMap<number, string>): Addr[] {
  return dump(RTM_GETADDR, AF_UNSPEC, 8, RTM_NEWADDR).flatMap((msg): Addr[] => {
    const family = msg[16] === AF_INET ? 4 : msg[16] === c.AF_INET6 ? 6 : 0;
    if (family === 0) return [];
    let flags = msg[18]!;
    let address: string | undefined;
    let local: string | undefined;
    let valid: number | null = null;
    let preferred: number | null = null;
    for (const [type, data] of attributes(msg.subarray(24))) {
      if (type === IFA_ADDRESS) address = ipText(data);
      else if (type === IFA_LOCAL) local = ipText(data);
      else if (type === IFA_FLAGS) flags = data.readUInt32LE(0);
      else if (type === IFA_CACHEINFO) {
        preferred = lifetime(data.readUInt32LE(0));
        valid = lifetime(data.readUInt32LE(4));
      }
    }
    const text = local ?? address;
    if (!text) return [];
    return [{ iface: names.get(msg.readInt32LE(20)) ?? `if${msg.readInt32LE(20)}`, family, address: text, prefixLength: msg[17]!, scope: msg[19]!, flags, validLifetime: valid, preferredLifetime: preferred }];
  });
}

/** Unicast routes of the main table, IPv4 and IPv6. */
export function readRoutes(names: ReadonlyMap<number, string>): Route[] {
  return dump(RTM_GETROUTE, AF_UNSPEC, 12, RTM_NEWROUTE).flatMap((msg): Route[] => {
    const family = msg[16] === AF_INET ? 4 : msg[16] === c.AF_INET6 ? 6 : 0;
    const dstLength = msg[17]!;
    let table = msg[20]!;
    if (family === 0 || msg[23] !== RTN_UNICAST) return [];
    let dst = family === 4 ? '0.0.0.0' : '::';
    let iface: string | undefined;
    let gateway: string | undefined;
    let metric = 0;
    let expires: number | null = null;
    let preference: Route['preference'] = null;
    for (const [type, data] of attributes(msg.subarray(28))) {
      if (type === RTA_DST) dst = ipText(data);
      else if (type === RTA_OIF) iface = names.get(data.readInt32LE(0));
      else if (type === RTA_GATEWAY) gateway = ipText(data);
      else if (type === RTA_PRIORITY) metric = data.readUInt32LE(0);
      else if (type === RTA_TABLE) table = data.readUInt32LE(0);
      else if (type === RTA_CACHEINFO && data.length >= 12) {
        const ticks = data.readInt32LE(8);
        expires = ticks > 0 ? Math.round(ticks / USER_HZ) : null;
      } else if (type === RTA_PREF) preference = data[0] === 1 ? 'high' : data[0] === 3 ? 'low' : 'medium';
    }
    if (table !== RT_TABLE_MAIN) return [];
    return [{ family, iface, dst, dstLength, gateway, protocol: PROTOCOLS[msg[21]!] ?? `${msg[21]!}`, metric, expires, preference }];
  });
}
