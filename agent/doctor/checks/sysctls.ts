/**
 * Per-interface IPv6 sysctls (Documentation/networking/ip-sysctl.rst). Where
 * NetworkManager or systemd-networkd run, they process RAs in userspace and set
 * accept_ra=0 and addr_gen_mode=1 themselves: those two are then theirs, and
 * the stack checks read their profiles instead.
 */
import { usesAutoconf } from '../../model/modes.js';
import { sysctlNumber } from '../../facts/sysctl.js';
import { expectedMode, type Facts, type Finding, type InterfaceFacts } from '../types.js';
import { ok, problem, sysctlFix, sysctlKey } from './finding.js';

export function raInUserspace(facts: Facts): boolean {
  return (facts.live?.daemons ?? []).some((argv) => /(^|\/)(NetworkManager|systemd-networkd)$/.test(argv[0] ?? ''));
}

function setting(iface: string, key: string, value: string | undefined): string {
  return `${sysctlKey(iface, key)} = ${value ?? '(absent)'}`;
}

export function sysctlChecks(facts: Facts, i: InterfaceFacts): Finding[] {
  const name = i.link.name;
  const n = (k: keyof InterfaceFacts['conf']) => sysctlNumber(i.conf[k]);
  const seen = (k: keyof InterfaceFacts['conf']) => setting(name, k, i.conf[k]);
  const repair = (key: 'disable_ipv6' | 'use_tempaddr' | 'addr_gen_mode' | 'accept_ra' | 'autoconf' | 'accept_ra_rt_info_max_plen', value: string) => ({
    fix: sysctlFix(name, key, value),
    repairs: [{ kind: 'sysctl' as const, iface: name, key, value }],
  });
  const out: Finding[] = [];

  out.push(
    n('disable_ipv6') === 1
      ? problem('fail', 'sysctl.disable_ipv6', name, { observed: seen('disable_ipv6'), expected: '0', why: 'IPv6 is switched off on this interface: no addresses, no routes', ...repair('disable_ipv6', '0') })
      : ok('sysctl.disable_ipv6', name, seen('disable_ipv6'), '0'),
  );

  out.push(
    (n('use_tempaddr') ?? 0) > 0
      ? problem('fail', 'sysctl.use_tempaddr', name, {
          observed: seen('use_tempaddr'),
          expected: '0',
          why: "temporary (privacy) addresses are not the port's fixed IP: Neutron's port security drops their traffic",
          ...repair('use_tempaddr', '0'),
        })
      : ok('sysctl.use_tempaddr', name, seen('use_tempaddr'), '0'),
  );

  const userspace = raInUserspace(facts);
  if (!userspace) {
    const agm = n('addr_gen_mode');
    out.push(
      agm !== undefined && agm !== 0
        ? problem('fail', 'sysctl.addr_gen_mode', name, {
            observed: `${seen('addr_gen_mode')}${agm === 2 && i.conf.stable_secret ? ` (stable_secret set)` : ''}`,
            expected: '0 (EUI-64)',
            why: agm === 1
              ? 'no link-local address is generated: no Router Solicitation, no SLAAC, no IPv6 metadata service'
              : "stable-privacy / random interface ids are not EUI-64 of the MAC: Neutron's port security drops them and the IPv6 metadata service cannot tell who asks (404)",
            ...repair('addr_gen_mode', '0'),
          })
        : ok('sysctl.addr_gen_mode', name, seen('addr_gen_mode'), '0 (EUI-64)'),
    );

    const acceptRa = n('accept_ra') ?? 0;
    const forwarding = n('forwarding') ?? 0;
    if (acceptRa === 0) {
      out.push(problem('fail', 'sysctl.accept_ra', name, { observed: seen('accept_ra'), expected: forwarding ? '2' : '1', why: 'the kernel ignores Router Advertisements: no default route, no SLAAC address', ...repair('accept_ra', forwarding ? '2' : '1') }));
    } else if (acceptRa === 1 && forwarding === 1) {
      out.push(problem('fail', 'sysctl.accept_ra', name, { observed: `${seen('accept_ra')} with ${seen('forwarding')}`, expected: '2', why: 'with forwarding on, accept_ra=1 silently stops RA processing and autoconfiguration', ...repair('accept_ra', '2') }));
    } else out.push(ok('sysctl.accept_ra', name, seen('accept_ra'), forwarding ? '2' : '1 or 2'));

    const mode = expectedMode(facts, i);
    if (mode !== undefined && mode !== 'dhcp-unknown') {
      const want = usesAutoconf(mode) ? 1 : 0;
      const autoconf = n('autoconf');
      out.push(
        autoconf !== undefined && autoconf !== want
          ? problem(want ? 'fail' : 'warn', 'sysctl.autoconf', name, {
              observed: `${seen('autoconf')} on a ${mode} subnet`,
              expected: String(want),
              why: want ? 'the router announces an autonomous prefix but the kernel will not form the SLAAC address' : 'the subnet has no autonomous prefix: SLAAC addresses here would not be the port\'s',
              ...repair('autoconf', String(want)),
            })
          : ok('sysctl.autoconf', name, `${seen('autoconf')} (${mode})`, String(want)),
      );
    }

    const plen = n('accept_ra_rt_info_max_plen');
    out.push(
      plen !== undefined && plen < 128
        ? problem('warn', 'sysctl.accept_ra_rt_info_max_plen', name, {
            observed: seen('accept_ra_rt_info_max_plen'),
            expected: '128',
            why: "the kernel drops the router's route to the metadata service fe80::a9fe:a9fe/128 (RFC 4191 route information)",
            ...repair('accept_ra_rt_info_max_plen', '128'),
          })
        : ok('sysctl.accept_ra_rt_info_max_plen', name, seen('accept_ra_rt_info_max_plen'), '128'),
    );
  }
  return out;
}
