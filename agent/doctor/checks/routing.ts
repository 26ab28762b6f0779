/** Routers, DHCPv6, routes, MTU: what the link needs beyond addresses. */
import { declaredInterface, type Facts, type Finding, type InterfaceFacts } from '../types.js';
import { ok, problem } from './finding.js';
import { raInUserspace } from './sysctls.js';
import { dhcpv6Client, modeFromRaFlags } from '../../model/modes.js';
import type { Stack } from '../../plan/types.js';
import { dhclientConventions, dhclientStart, type Dhcpv6Kind } from '../../../distro/dhcpv6Client.js';

/** A DHCPv6 client running for `iface` (dhclient needs -6; the daemons do DHCPv6 when RAs ask for it). */
function dhcpv6Running(facts: Facts, iface: string): string | undefined {
  for (const argv of facts.live?.daemons ?? []) {
    const prog = (argv[0] ?? '').split('/').pop() ?? '';
    if (prog === 'dhclient' && argv.includes('-6') && argv.includes(iface)) return argv.join(' ');
    if (/^(dhcpcd|odhcp6c|dhcp6c|NetworkManager|systemd-networkd)$/.test(prog)) return argv.join(' ');
  }
  return undefined;
}

/** Where the stack's configuration asks for DHCPv6 on `iface` (ifupdown `dhcp 1` / `inet6 dhcp`, ifcfg DHCPV6C=yes). */
function dhcpv6Configured(facts: Facts, iface: string): string | undefined {
  for (const f of facts.files) {
    if (f.path === '/etc/network/interfaces' || f.path.startsWith('/etc/network/interfaces.d/')) {
      let current: string[] = [];
      for (const line of f.text.split('\n')) {
        const w = line.trim().split(/\s+/);
        if (w[0] === 'iface') current = w;
        const ours = current[1] === iface && current[2] === 'inet6';
        if (ours && w[0] === 'iface' && w[3] === 'dhcp') return `${f.path}: iface ${iface} inet6 dhcp`;
        if (ours && w[0] === 'dhcp' && w[1] === '1') return `${f.path}: iface ${iface} inet6 ${current[3]} with dhcp 1`;
      }
    }
    if (f.path.endsWith(`/ifcfg-${iface}`) && /^\s*DHCPV6C=["']?yes/m.test(f.text)) return `${f.path}: DHCPV6C=yes`;
  }
  return undefined;
}

/** What --fix does to start the client `want` needs on `iface`, as the stack would (apply/reload.ts ensureDhcpv6). */
function startHow(stack: Stack | undefined, iface: string, want: Dhcpv6Kind): string {
  const what = want === 'stateful' ? 'a stateful DHCPv6 client' : 'an information-only DHCPv6 exchange';
  if (stack === 'networkmanager') return `nmcli device reapply ${iface} (NetworkManager runs DHCPv6 as the RA's flags say)`;
  if (stack === 'networkd') return `networkctl reconfigure ${iface} (systemd-networkd runs DHCPv6 as the RA's flags say)`;
  if (stack === 'netplan') return `reapply ${iface} through netplan's backend (nmcli device reapply, or networkctl reconfigure)`;
  const c = dhclientConventions(stack ?? 'eni')!;
  return `start ${what} as ${c.owner} does (${dhclientStart(c, iface, want).join(' ')})`;
}

export function raChecks(facts: Facts, i: InterfaceFacts): Finding[] {
  const name = i.link.name;
  const ra = i.ra;
  if (!ra) return [];
  const out: Finding[] = [];
  if (ra.mode === 'none' && ra.notes.some((n) => n.startsWith('not root'))) {
    out.push(problem('warn', 'ra.router', name, { observed: `unknown: ${ra.notes.join('; ')}`, expected: 'a Router Advertisement', why: 'the routers could not be asked, so the mode and DHCPv6 checks are skipped', fix: 'manual fix: run doctor as root' }));
    return out;
  }
  if (ra.mode === 'none') {
    out.push(problem('fail', 'ra.router', name, { observed: `no router answered (${ra.notes.join('; ') || ra.source})`, expected: 'a Router Advertisement', why: 'no default route, no SLAAC, no M/O flags: IPv6 cannot work past the link', fix: 'manual fix: check the subnet has a router (Neutron: ipv6_ra_mode set, router attached) and that sysctl.accept_ra passes' }));
    return out;
  }
  const flags = ra.routers.map((r) => `${r.address} M=${+r.managed} O=${+r.other}`).join(', ');
  out.push(ok('ra.router', name, `${flags} (from the ${ra.source})`, 'a Router Advertisement'));

  const managed = ra.routers.some((r) => r.managed);
  const other = ra.routers.some((r) => r.other);
  if (managed || other) {
    // An information-only client may exit after its one exchange (ifupdown runs dhclient -6 -1 -S); a stateful one renews.
    const want = dhcpv6Client(modeFromRaFlags({ autonomous: false, managed, other })) as Dhcpv6Kind;
    const running = dhcpv6Running(facts, name);
    const configured = dhcpv6Configured(facts, name);
    const informed = !managed && facts.live?.informed?.includes(name) ? 'the information request doctor --fix just ran was answered' : undefined;
    const client = running ? `running: ${running}` : !managed && configured ? `configured: ${configured}` : informed;
    out.push(
      client
        ? ok('ra.dhcpv6', name, `${managed ? 'M=1' : 'O=1'}; ${client}`, 'a DHCPv6 client')
        : problem('fail', 'ra.dhcpv6', name, {
            observed: `${managed ? 'M=1' : 'O=1'} from the router, but no DHCPv6 client runs for ${name}${configured ? ` (${configured})` : ' or is configured'}`,
            expected: managed ? 'a stateful DHCPv6 client (dhclient -6)' : 'an information-only DHCPv6 client (dhclient -6 -S)',
            why: managed ? 'addresses on this subnet come only from DHCPv6' : 'DNS servers on this subnet come only from DHCPv6',
            fix: `${startHow(facts.stack, name, want)}; and v6agent apply so that it is configured at boot`,
            repairs: [{ kind: 'start-dhcpv6', iface: name, client: want }],
          }),
    );
  }

  const declared = declaredInterface(facts, name)?.ipv6?.mode;
  if (declared && declared !== 'static' && declared !== 'dhcp-unknown' && ra.mode !== 'unmanaged') {
    out.push(
      declared !== ra.mode
        ? problem('warn', 'ra.mode', name, { observed: `the router says ${ra.mode}, the drive says ${declared}`, expected: 'the same mode', why: 'the configuration written from the drive does not match what the router does (v6agent apply follows the router)', fix: 'manual fix: v6agent apply (it follows the router), and tell the cloud operator' })
        : ok('ra.mode', name, `${ra.mode} (router and drive agree)`, 'the same mode'),
    );
  }
  return out;
}

const isLinkLocal = (a: string): boolean => /^fe[89ab][0-9a-f]:/i.test(a);

export function routeChecks(facts: Facts, i: InterfaceFacts): Finding[] {
  const name = i.link.name;
  const routes = facts.live?.routes ?? [];
  const defaults = routes.filter((r) => r.family === 6 && r.dstLength === 0 && r.iface === name);
  const anyDefault = routes.some((r) => r.family === 6 && r.dstLength === 0);
  const out: Finding[] = [];
  const describe = (r: (typeof routes)[number]) => `default via ${r.gateway ?? '(none)'} proto ${r.protocol}${r.expires !== null ? ` expires ${r.expires}s` : ''}`;
  if (defaults.length === 0) {
    const zero = i.ra?.routers.some((r) => r.lifetime === 0);
    out.push(
      anyDefault
        ? ok('route.default', name, `no default route on ${name}; another interface has one`, 'an IPv6 default route')
        : problem('fail', 'route.default', name, {
            observed: `no IPv6 default route${zero ? ' (the router sends router lifetime 0: it is not a default router)' : ''}`,
            expected: 'default via the router\'s link-local address',
            why: 'nothing beyond the link is reachable over IPv6',
            fix: 'manual fix: see ra.router and sysctl.accept_ra; a NetworkManager ipv6.method=dhcp profile ignores RAs',
          }),
    );
  } else {
    // A static subnet's gateway from the drive is a global address by Neutron's design.
    const declaredGw = declaredInterface(facts, name)?.ipv6?.gateway;
    const bad = defaults.filter((r) => r.gateway && !isLinkLocal(r.gateway) && r.gateway !== declaredGw);
    out.push(
      bad.length
        ? problem('warn', 'route.default', name, { observed: bad.map(describe).join(', '), expected: "default via the router's link-local address", why: 'routers are reached by their link-local address (RFC 4861 §4.2); a global gateway breaks when the subnet is renumbered and is not what RAs give', fix: 'manual fix: let the default route come from RAs (accept_ra), or use the router\'s fe80:: address' })
        : ok('route.default', name, defaults.map(describe).join(', '), "default via the router's link-local address"),
    );
  }
  // Only a Router Solicitation's answer shows the option; the kernel keeps just the route it installed. Where the
  // kernel processes RAs, sysctl.accept_ra_rt_info_max_plen decides (its next RA installs the route); under
  // NetworkManager or networkd, their RA client must install it.
  const METADATA = 'fe80::a9fe:a9fe/128';
  if (raInUserspace(facts) && i.ra?.routers.some((r) => r.routes.some((x) => x.prefix === METADATA && x.lifetime > 0))) {
    const has = routes.some((r) => r.family === 6 && r.iface === name && `${r.dst}/${r.dstLength}` === METADATA);
    out.push(
      has
        ? ok('route.metadata', name, `${METADATA} (announced and installed)`, `a route to ${METADATA}`)
        : problem('fail', 'route.metadata', name, { observed: `the router announces ${METADATA}, but there is no route to it on ${name}`, expected: `a route to ${METADATA} via the router`, why: 'the IPv6 metadata service is unreachable', fix: `see sysctl.accept_ra_rt_info_max_plen; or manual fix: ip -6 route add ${METADATA} via <router> dev ${name}` }),
    );
  }
  return out;
}

export function mtuChecks(facts: Facts, i: InterfaceFacts): Finding[] {
  const name = i.link.name;
  const mtu = i.link.mtu;
  const out: Finding[] = [];
  if (mtu < 1280) {
    out.push(problem('fail', 'mtu.minimum', name, { observed: `${name} mtu ${mtu}`, expected: 'at least 1280', why: 'IPv6 needs links of at least 1280 octets (RFC 8200 §5): the kernel disables IPv6 below that', fix: `manual fix: ip link set dev ${name} mtu 1280 (and in the stack's configuration)` }));
    return out;
  }
  const raMtu = i.ra?.routers.map((r) => r.mtu).find((m): m is number => typeof m === 'number' && m > 0);
  const driveMtu = declaredInterface(facts, name)?.mtu;
  const limit = [raMtu, driveMtu].filter((m): m is number => m !== undefined).sort((a, b) => a - b)[0];
  const ipv6Mtu = Number(i.conf.mtu ?? mtu);
  if (limit !== undefined && Math.min(mtu, ipv6Mtu) > limit) {
    const from = limit === raMtu ? "the router's MTU option" : "the drive's link mtu";
    out.push(problem('fail', 'mtu.network', name, { observed: `${name} mtu ${mtu}, net.ipv6.conf.${name}.mtu = ${ipv6Mtu}`, expected: `at most ${limit} (${from})`, why: 'packets larger than the network carries are dropped (tunnelled networks such as VXLAN have a smaller MTU): connections hang after the handshake', fix: `manual fix: ip link set dev ${name} mtu ${limit}, and set it in the stack's configuration (v6agent apply does)` }));
  } else out.push(ok('mtu.network', name, `${name} mtu ${mtu}${limit !== undefined ? `, network ${limit}` : ''}`, limit !== undefined ? `at most ${limit}` : 'at least 1280'));
  return out;
}
