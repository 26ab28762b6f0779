import { describe, expect, it } from 'vitest';
import { eui64Address, parseAddress, parseNetmask } from '../../agent/model/addr.js';
import { formatIpv6 } from '../../agent/model/ipv6Text.js';
import { Address6 } from 'ip-address';
import { dhcpv6Client, expectedRaFlags, modeFromRaFlags, usesAutoconf, NOVA_IPV6_TYPES } from '../../agent/model/modes.js';
import { dnsName, interfaceName, sshPublicKey, userName } from '../../agent/model/names.js';

describe('IPv6 modes', () => {
  it('gives each Neutron mode its A/M/O flags', () => {
    expect(expectedRaFlags('slaac')).toEqual({ autonomous: true, managed: false, other: false });
    expect(expectedRaFlags('dhcpv6-stateless')).toEqual({ autonomous: true, managed: false, other: true });
    expect(expectedRaFlags('dhcpv6-stateful')).toEqual({ autonomous: false, managed: true, other: false });
  });

  it('recognises stateful from M alone, with O=0 as Neutron and OVN send it', () => {
    expect(modeFromRaFlags({ autonomous: false, managed: true, other: false })).toBe('dhcpv6-stateful');
    expect(modeFromRaFlags({ autonomous: false, managed: true, other: true })).toBe('dhcpv6-stateful');
  });

  it('runs a DHCPv6 client only where the mode needs one', () => {
    expect(dhcpv6Client('slaac')).toBe('none');
    expect(dhcpv6Client('dhcpv6-stateless')).toBe('information-only');
    expect(dhcpv6Client('dhcpv6-stateful')).toBe('stateful');
    expect(dhcpv6Client('static')).toBe('none');
    expect(dhcpv6Client('dhcp-unknown')).toBe('none');
  });

  it('turns SLAAC on exactly where the A flag is set', () => {
    expect(usesAutoconf('slaac')).toBe(true);
    expect(usesAutoconf('dhcpv6-stateful')).toBe(false);
    expect(usesAutoconf('static')).toBe(false);
  });

  it('maps every nova IPv6 network type, including legacy ipv6_dhcp', () => {
    expect(NOVA_IPV6_TYPES).toEqual({ ipv6: 'static', ipv6_slaac: 'slaac', 'ipv6_dhcpv6-stateless': 'dhcpv6-stateless', 'ipv6_dhcpv6-stateful': 'dhcpv6-stateful', ipv6_dhcp: 'dhcp-unknown' });
  });
});

describe('addresses', () => {
  it('canonicalises IPv6 text (RFC 5952)', () => {
    expect(parseAddress('2001:0DB8:0:0::0001', 6)).toBe('2001:db8::1');
  });

  it('refuses zones, prefixes and junk inside an address', () => {
    for (const bad of ['fe80::1%eth0', '2001:db8::1/64', '2001:db8::zz', '192.0.2.1 ', '', '1.2.3']) expect(parseAddress(bad, bad.includes(':') ? 6 : 4)).toBeUndefined();
  });

  it('reads masks in every form nova and others write', () => {
    expect(parseNetmask('ffff:ffff:ffff:ffff::', 6)).toBe(64);
    expect(parseNetmask('255.255.255.0', 4)).toBe(24);
    expect(parseNetmask(64, 6)).toBe(64);
    expect(parseNetmask('/48', 6)).toBe(48);
    expect(parseNetmask('::', 6)).toBe(0);
  });

  it('rejects non-contiguous masks and out-of-range prefixes', () => {
    expect(parseNetmask('255.0.255.0', 4)).toMatch(/not contiguous/);
    expect(parseNetmask(33, 4)).toMatch(/out of range/);
  });

  it('formats address bytes exactly as ip-address does (RFC 5952)', () => {
    const bytes = (text: string) => Buffer.from(new Address6(text).canonicalForm().replace(/:/g, ''), 'hex');
    for (const text of ['::', '::1', '2001:db8::1', 'fe80::f816:3eff:feaa:bb01', '2001:db8:0:0:1:0:0:1', '2001:0:0:1::1', '1:2:3:4:5:6:7:8', '2001:db8::', 'ff02::2', '0:0:1::']) {
      expect(formatIpv6(bytes(text))).toBe(new Address6(text).correctForm());
    }
  });

  it('forms the EUI-64 address the kernel and Neutron compute', () => {
    expect(eui64Address('2001:db8:10:1::', 'fa:16:3e:5c:2a:7e')).toBe('2001:db8:10:1:f816:3eff:fe5c:2a7e');
  });
});

describe('names that reach files', () => {
  it('accepts DNS names and lower-cases them', () => {
    expect(dnsName('Web-1.Example.ORG.')).toBe('web-1.example.org');
  });

  it.each(['-web', 'a_b', 'a..b', 'a b', 'x'.repeat(64), 'a\nb'])('rejects the host name %j', (n) => {
    expect(dnsName(n)).toBeUndefined();
  });

  it('accepts interface names the kernel accepts and that are safe in files', () => {
    expect(interfaceName('eth0.100')).toBe('eth0.100');
    for (const bad of ['../x', 'a/b', 'eth 0', 'x'.repeat(16), '..', '-eth0']) expect(interfaceName(bad)).toBeUndefined();
  });

  it('accepts only plain login names', () => {
    expect(userName('cloud-user')).toBe('cloud-user');
    expect(userName('../root')).toBeUndefined();
  });

  it('accepts an OpenSSH key line and normalises its spacing', () => {
    expect(sshPublicKey('  ssh-ed25519   AAAAC3Nz  me@host ')).toBe('ssh-ed25519 AAAAC3Nz me@host');
    expect(sshPublicKey('ecdsa-sha2-nistp256 AAAA=')).toBe('ecdsa-sha2-nistp256 AAAA=');
  });
});
