/**
 * The interface's IPv6 addresses against what Neutron lets through: the
 * port's fixed IPs and the EUI-64 link-local of its MAC (neutron's OVS and
 * iptables firewalls); anything else is dropped.
 */
import { Address6 } from 'ip-address';
import { eui64Address } from '../../model/addr.js';
import { IFA_F, type Addr } from '../../facts/netlinkTypes.js';
import { declaredInterface, expectedMode, type Facts, type Finding, type InterfaceFacts, type Repair } from '../types.js';
import { ok, problem } from './finding.js';
import { carriesSession } from '../../facts/sshSessions.js';

const canonical = (a: string): string => new Address6(a).correctForm();
const text = (a: Addr): string => `${a.address}/${a.prefixLength}`;
const has = (a: Addr, flag: number): boolean => (a.flags & flag) !== 0;

function deleteRepair(i: InterfaceFacts, a: Addr, facts: Facts): Repair[] {
  // Never remove an address an SSH session runs on (ours, or another terminal's).
  if (carriesSession(a.address, facts.live?.sshAddresses ?? [])) return [];
  return [{ kind: 'delete-address', iface: i.link.name, address: a.address, prefixLength: a.prefixLength }];
}

export function addressChecks(facts: Facts, i: InterfaceFacts): Finding[] {
  const name = i.link.name;
  const v6 = i.addresses.filter((a) => a.family === 6);
  const globals = v6.filter((a) => a.scope === 0);
  const usable = globals.filter((a) => !has(a, IFA_F.tentative | IFA_F.dadfailed));
  const out: Finding[] = [];

  out.push(
    usable.length === 0
      ? problem('fail', 'address.global', name, { observed: globals.length ? `only ${globals.map(text).join(', ')} (not usable yet)` : 'no global IPv6 address', expected: 'a global IPv6 address', why: 'without one, nothing beyond the link is reachable over IPv6', fix: 'manual fix: see the router, DHCPv6 and sysctl findings on this interface for the cause' })
      : ok('address.global', name, usable.map(text).join(', '), 'a global IPv6 address'),
  );

  const failed = v6.filter((a) => has(a, IFA_F.dadfailed));
  const tentative = v6.filter((a) => has(a, IFA_F.tentative) && !has(a, IFA_F.dadfailed));
  if (failed.length) out.push(problem('fail', 'address.dad', name, { observed: `dadfailed: ${failed.map(text).join(', ')}`, expected: 'no duplicate addresses', why: 'another node on the link uses the address: the kernel will not use it', fix: 'manual fix: find the other holder of the address (ip -6 neigh), then `ip link set dev ' + name + ' down && up` to retry DAD' }));
  else if (tentative.length) out.push(problem('warn', 'address.dad', name, { observed: `tentative: ${tentative.map(text).join(', ')}`, expected: 'no tentative addresses', why: 'duplicate address detection has not finished: the address is not usable yet', fix: 'manual fix: wait a few seconds and run doctor again' }));
  else out.push(ok('address.dad', name, 'no tentative or dadfailed addresses', 'no tentative or dadfailed addresses'));

  const temporary = v6.filter((a) => has(a, IFA_F.temporary));
  out.push(
    temporary.length
      ? problem('fail', 'address.temporary', name, {
          observed: `temporary: ${temporary.map(text).join(', ')}`,
          expected: 'no temporary addresses',
          why: "privacy addresses are not the port's fixed IP: Neutron's port security drops traffic from them",
          fix: `ip -6 addr del each of them dev ${name} (after use_tempaddr = 0)`,
          repairs: temporary.flatMap((a) => deleteRepair(i, a, facts)),
        })
      : ok('address.temporary', name, 'no temporary addresses', 'no temporary addresses'),
  );

  const mac = i.link.mac;
  if (mac) {
    const ll = v6.filter((a) => a.scope === 253);
    const eui = canonical(eui64Address('fe80::', mac));
    const others = ll.filter((a) => canonical(a.address) !== eui);
    const hasEui = ll.length > others.length;
    if (!hasEui)
      out.push(problem('fail', 'address.link_local', name, {
        observed: ll.length ? `link-local ${ll.map(text).join(', ')}` : 'no link-local address',
        expected: `${eui}/64 (EUI-64 of ${mac})`,
        why: "Neutron's port security passes only the EUI-64 link-local, and the IPv6 metadata service identifies the port from it (else 404)",
        fix: i.conf.addr_gen_mode !== '0' ? 'set addr_gen_mode = 0 (see sysctl.addr_gen_mode); the kernel then adds the EUI-64 link-local' : `manual fix: ip link set dev ${name} down && up`,
      }));
    else if (others.length)
      out.push(problem('warn', 'address.link_local', name, { observed: `also ${others.map(text).join(', ')}`, expected: `only ${eui}/64`, why: 'a second link-local may source Router Solicitations and metadata requests that Neutron drops', fix: `ip -6 addr del each of them dev ${name}`, repairs: others.flatMap((a) => deleteRepair(i, a, facts)) }));
    else out.push(ok('address.link_local', name, `${eui}/64`, 'EUI-64 of the MAC'));

    const mode = expectedMode(facts, i);
    if (mode === 'slaac' || mode === 'dhcpv6-stateless') {
      const slaac = globals.filter((a) => a.prefixLength === 64 && !has(a, IFA_F.permanent) && !has(a, IFA_F.temporary));
      const bad = slaac.filter((a) => canonical(a.address) !== canonical(eui64Address(a.address, mac)));
      const good = slaac.length - bad.length;
      out.push(
        bad.length
          ? problem(good ? 'warn' : 'fail', 'address.eui64', name, {
              observed: `SLAAC ${bad.map(text).join(', ')} is not EUI-64 of ${mac}`,
              expected: 'the EUI-64 SLAAC address',
              why: "Neutron's port security drops addresses other than the port's EUI-64 one",
              fix: good ? `ip -6 addr del each of them dev ${name}` : 'set addr_gen_mode = 0 (see sysctl.addr_gen_mode); the next RA forms the EUI-64 address',
              repairs: good ? bad.flatMap((a) => deleteRepair(i, a, facts)) : [],
            })
          : ok('address.eui64', name, slaac.length ? `${slaac.map(text).join(', ')} is EUI-64` : 'no SLAAC address', 'SLAAC addresses are EUI-64 of the MAC'),
      );
    }
  }

  const declared = declaredInterface(facts, name)?.ipv6;
  if (declared && declared.addresses.length) {
    const present = new Set(v6.map((a) => canonical(a.address)));
    const missing = declared.addresses.filter((c) => !present.has(canonical(c.address)));
    // DHCPv6-stateful leases come from the DHCP server; a different one is odd but may be right.
    const status = declared.mode === 'dhcpv6-stateful' ? 'warn' : 'fail';
    out.push(
      missing.length
        ? problem(status, 'address.declared', name, { observed: `${missing.map((c) => `${c.address}/${c.prefix}`).join(', ')} from ${facts.declared!.source} is not on ${name}`, expected: "the drive's address for this port", why: "Neutron's port security lets through only the port's fixed IPs", fix: 'manual fix: v6agent apply (or check that the drive belongs to this VM)' })
        : ok('address.declared', name, declared.addresses.map((c) => c.address).join(', '), "the drive's address for this port"),
    );
  }
  return out;
}
