/**
 * What the kernel recorded from Router Advertisements it processed itself:
 * rtnetlink RTM_GETLINK (AF_INET6) → IFLA_PROTINFO → IFLA_INET6_FLAGS, with the
 * bits from the kernel-internal include/net/if_inet6.h. Pitfalls (measured):
 * after a link bounce RA_RCVD is cleared but MANAGED/OTHERCONF stay stale, so
 * M/O count only while RA_RCVD is set; and RA_RCVD is only set while the kernel
 * accepts RAs (accept_ra 1 without forwarding, or 2) and sent its own RS.
 */
import { readFileSync } from 'node:fs';
import { formatIpv6 } from '../model/ipv6Text.js';
import * as c from './libc.js';

export const IF_RS_SENT = 0x10;
export const IF_RA_RCVD = 0x20;
export const IF_RA_MANAGED = 0x40;
export const IF_RA_OTHERCONF = 0x80;

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const NLMSG_DONE = 3;
const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const IFLA_IFNAME = 3;
const IFLA_PROTINFO = 12;
const IFLA_INET6_FLAGS = 1;
const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;

export interface KernelLink {
  readonly name: string;
  readonly index: number;
  readonly up: boolean;
  readonly loopback: boolean;
  /** IFLA_INET6_FLAGS. */
  readonly inet6Flags: number;
}

/** Every interface with IPv6, from one rtnetlink dump. */
export function dumpLinks(): KernelLink[] {
  const fd = c.socket(c.AF_NETLINK, c.SOCK_RAW | c.SOCK_CLOEXEC, c.NETLINK_ROUTE);
  if (fd < 0) throw c.lastError('netlink socket');
  try {
    const req = Buffer.alloc(32); // nlmsghdr + ifinfomsg
    req.writeUInt32LE(32, 0);
    req.writeUInt16LE(RTM_GETLINK, 4);
    req.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
    req.writeUInt32LE(1, 8);
    req[16] = c.AF_INET6;
    if (c.send(fd, req, req.length, 0) < 0) throw c.lastError('netlink send');
    const links: KernelLink[] = [];
    const buf = Buffer.alloc(65536);
    for (;;) {
      const n = Number(c.recv(fd, buf, buf.length, 0));
      if (n < 0) throw c.lastError('netlink recv');
      for (let at = 0; at + 16 <= n; ) {
        const len = buf.readUInt32LE(at);
        const type = buf.readUInt16LE(at + 4);
        if (len < 16 || at + len > n) return links;
        if (type === NLMSG_DONE) return links;
        if (type === NLMSG_ERROR) throw new Error(`netlink error ${-buf.readInt32LE(at + 16)}`);
        if (type === RTM_NEWLINK) links.push(parseLink(buf.subarray(at, at + len)));
        at += (len + 3) & ~3;
      }
    }
  } finally {
    c.close(fd);
  }
}

function parseLink(msg: Buffer): KernelLink {
  const index = msg.readInt32LE(20);
  const flags = msg.readUInt32LE(24);
  let name = '';
  let inet6Flags = 0;
  for (const [type, data] of attributes(msg.subarray(32))) {
    if (type === IFLA_IFNAME) name = data.toString('latin1').replace(/\0.*$/, '');
    if (type === IFLA_PROTINFO) for (const [t, d] of attributes(data)) if (t === IFLA_INET6_FLAGS) inet6Flags = d.readUInt32LE(0);
  }
  return { name, index, up: (flags & IFF_UP) !== 0, loopback: (flags & IFF_LOOPBACK) !== 0, inet6Flags };
}

function* attributes(b: Buffer): Generator<[number, Buffer]> {
  for (let at = 0; at + 4 <= b.length; ) {
    const len = b.readUInt16LE(at);
    if (len < 4 || at + len > b.length) return;
    yield [b.readUInt16LE(at + 2) & 0x3fff, b.subarray(at + 4, at + len)];
    at += (len + 3) & ~3;
  }
}

function sysctl(iface: string, key: string): number | undefined {
  try {
    return Number(readFileSync(`/proc/sys/net/ipv6/conf/${iface}/${key}`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

export interface KernelView {
  readonly iface: string;
  /** Whether the kernel itself processes RAs here (else NetworkManager/networkd do, and it records nothing). */
  readonly acceptsRa: boolean;
  /** True only when the flags below come from an RA the kernel processed since the link came up. */
  readonly raReceived: boolean;
  readonly managed: boolean;
  readonly other: boolean;
  /** A SLAAC (dynamic, global, /64) address exists: some router sent A=1. */
  readonly slaacAddress: boolean;
  /** Default routers the kernel learned from RAs (proto ra), from /proc/net/ipv6_route. */
  readonly routers: readonly string[];
}

export function kernelView(link: KernelLink): KernelView {
  const acceptRa = sysctl(link.name, 'accept_ra') ?? 0;
  const forwarding = sysctl(link.name, 'forwarding') ?? 0;
  const acceptsRa = acceptRa === 2 || (acceptRa === 1 && forwarding === 0);
  const raReceived = acceptsRa && (link.inet6Flags & IF_RA_RCVD) !== 0;
  return {
    iface: link.name,
    acceptsRa,
    raReceived,
    managed: raReceived && (link.inet6Flags & IF_RA_MANAGED) !== 0,
    other: raReceived && (link.inet6Flags & IF_RA_OTHERCONF) !== 0,
    slaacAddress: slaacAddresses(link.name),
    routers: raRouters(link.name),
  };
}

/** /proc/net/if_inet6: addr index plen scope flags name. Global scope is 00; IFA_F_PERMANENT is 0x80. */
function slaacAddresses(iface: string): boolean {
  return readLines('/proc/net/if_inet6').some((f) => f[5] === iface && f[2] === '40' && f[3] === '00' && (parseInt(f[4] ?? '80', 16) & 0x80) === 0);
}

/** /proc/net/ipv6_route: dst plen src plen nexthop metric refcnt use flags dev. RTF_ADDRCONF 0x40000 marks RA routes. */
function raRouters(iface: string): string[] {
  return readLines('/proc/net/ipv6_route')
    .filter((f) => f[9] === iface && f[0] === '0'.repeat(32) && f[1] === '00' && (parseInt(f[8] ?? '0', 16) & 0x40000) !== 0)
    .map((f) => hexToIpv6(f[4]!));
}

function readLines(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/));
  } catch {
    return [];
  }
}

function hexToIpv6(hex: string): string {
  return formatIpv6(Buffer.from(hex, 'hex'));
}
