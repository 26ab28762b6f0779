/**
 * The drive says what the cloud declared; the router says what is true. When
 * a router answered, its flags decide the DHCPv6 exchange (a client where no
 * server exists hangs or fails boot); addresses, routes and DNS still come
 * from the drive, with RDNSS/DNSSL and the RA MTU filling what it leaves empty.
 * Every disagreement is reported. Pure: observations in, model out.
 */
import type { Warnings } from '../errors.js';
import type { InterfaceReport } from '../ra/observe.js';
import { familyOf, IPV6_MIN_MTU, MAX_MTU } from './addr.js';
import { MAX_NAMESERVERS, MAX_SEARCH_DOMAINS } from './build.js';
import type { Instance, Interface } from './instance.js';
import { hasStaticAddress, type Ipv6Mode } from './modes.js';
import { dnsName } from './names.js';

function observedMode(r: InterfaceReport): Ipv6Mode | undefined {
  switch (r.mode) {
    case 'slaac':
    case 'dhcpv6-stateless':
    case 'dhcpv6-stateful':
      return r.mode;
    case 'unmanaged':
      return 'slaac'; // no M, no O: no DHCPv6 client; the kernel still takes the RA's route
    case 'none':
      return undefined;
  }
}

/**
 * The first MTU option a router sent, if a link can carry IPv6 with it: below
 * 1280 the kernel removes IPv6 from the link (RFC 8200 section 5), and a Linux
 * MTU is at most 65535. Anything else is ignored, never persisted.
 */
function raMtu(iface: string, r: InterfaceReport, warnings: Warnings): number | undefined {
  const router = r.routers.find((x) => x.mtu);
  if (!router?.mtu) return undefined;
  if (router.mtu >= IPV6_MIN_MTU && router.mtu <= MAX_MTU) return router.mtu;
  warnings.add(iface, `router ${router.address} announces MTU ${router.mtu}, outside ${IPV6_MIN_MTU}-${MAX_MTU}; ignored`);
  return undefined;
}

export function applyObservations(instance: Instance, reports: readonly InterfaceReport[], warnings: Warnings): Instance {
  const byName = new Map(reports.map((r) => [r.name, r]));
  const interfaces = instance.interfaces.map((iface): Interface => {
    const r = byName.get(iface.name);
    if (!r || !iface.ipv6 || r.source === 'none') return iface;
    const seen = observedMode(r);
    let ipv6 = iface.ipv6;
    // A router with no autoconf prefix and no M/O is exactly what a static subnet looks like.
    const agrees = r.mode === 'unmanaged' && hasStaticAddress(ipv6.mode);
    if (seen && seen !== ipv6.mode && !agrees) {
      const declared = ipv6.mode === 'dhcp-unknown' ? 'legacy ipv6_dhcp (mode unknown)' : ipv6.mode;
      if (hasStaticAddress(ipv6.mode)) {
        warnings.add(iface.name, `the drive says static but the router announces ${r.mode}; keeping the drive's static address`);
      } else {
        warnings.add(iface.name, `the drive says ${declared} but the router (${r.source}) announces ${r.mode}; following the router`);
        ipv6 = { ...ipv6, mode: seen };
      }
    }
    return { ...iface, ipv6, mtu: iface.mtu ?? raMtu(iface.name, r, warnings) };
  });

  let dns = instance.dns;
  if (dns.nameservers.length === 0) {
    const rdnss = [...new Set(reports.flatMap((r) => r.routers.flatMap((x) => x.rdnss)))].filter((s) => familyOf(s) === 6).slice(0, MAX_NAMESERVERS);
    const dnssl = [...new Set(reports.flatMap((r) => r.routers.flatMap((x) => x.dnssl)).map(dnsName).filter((d): d is string => d !== undefined))];
    if (rdnss.length) dns = { nameservers: rdnss, search: dns.search.length ? dns.search : dnssl.slice(0, MAX_SEARCH_DOMAINS) };
  }
  return { ...instance, interfaces, dns };
}
