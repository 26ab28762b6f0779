/** Live reload, the pure parts: which interfaces changed, NetworkManager's session guard and in-place IPv6 settings. */
import { describe, expect, it } from 'vitest';
import { changedInterfaces } from '../../agent/apply/reload.js';
import { ipv6Modify, keyfileSection, keyfileUuid } from '../../agent/apply/liveNm.js';
import type { FileResult } from '../../agent/apply/write.js';

const f = (path: string, status: FileResult['status'] = 'changed'): FileResult => ({ path, status });

describe('changedInterfaces', () => {
  it('takes only the interfaces whose own files changed', () => {
    expect(changedInterfaces('networkd', ['eth0', 'eth1'], [f('/etc/systemd/network/10-v6agent-eth1.network'), f('/etc/systemd/network/10-v6agent-eth0.network', 'unchanged')], false)).toEqual(['eth1']);
    expect(changedInterfaces('networkmanager', ['eth0', 'eth1'], [f('/etc/NetworkManager/system-connections/v6agent-eth0.nmconnection', 'created')], false)).toEqual(['eth0']);
  });

  it("counts an interface's own sysctl drop-in as its change", () => {
    expect(changedInterfaces('networkd', ['eth0', 'eth1'], [f('/etc/sysctl.d/60-v6agent-eth1.conf')], true)).toEqual(['eth1']);
  });

  it('takes them all for a file that names none (netplan YAML, a removed cloud-init file)', () => {
    expect(changedInterfaces('netplan', ['eth0', 'eth1'], [f('/etc/netplan/90-v6agent.yaml')], false)).toEqual(['eth0', 'eth1']);
    expect(changedInterfaces('networkd', ['eth0', 'eth1'], [f('/etc/systemd/network/50-cloud-init.network', 'removed'), f('/etc/systemd/network/10-v6agent-eth0.network')], false)).toEqual(['eth0', 'eth1']);
  });

  it('takes none when nothing changed', () => {
    expect(changedInterfaces('networkd', ['eth0'], [f('/etc/systemd/network/10-v6agent-eth0.network', 'unchanged'), f('/etc/resolv.conf')], false)).toEqual([]);
  });
});

const KEYFILE = `# Written by v6agent
[connection]
id=v6agent eth0
uuid=363B3C0C-74FA-5FFB-B839-78CC0D296F71

[ipv4]
method=auto

[ipv6]
method=manual
addr-gen-mode=eui64
ip6-privacy=0
address1=2001:db8:cafe:1::5/64
address2=2001:db8:cafe:2::5/64,2001:db8:cafe:2::1
gateway=2001:db8:cafe:1::1
route1=2001:db8:99::/48,2001:db8:cafe:1::fe
route1_options=onlink=true
dns=2001:db8:cafe:d::53;2001:db8:cafe:d::54;
dns-search=openstacklocal;
may-fail=false
`;

describe('NetworkManager keyfile → running connection', () => {
  it('reads the uuid and one section', () => {
    expect(keyfileUuid(KEYFILE)).toBe('363b3c0c-74fa-5ffb-b839-78cc0d296f71');
    expect(keyfileSection(KEYFILE, 'ipv4')).toEqual(new Map([['method', 'auto']]));
  });

  it('turns [ipv6] into nmcli device modify arguments, IPv4 untouched', () => {
    expect(ipv6Modify(KEYFILE)).toEqual([
      'ipv6.method', 'manual', 'ipv6.addr-gen-mode', 'eui64', 'ipv6.ip6-privacy', '0', 'ipv6.may-fail', 'false',
      'ipv6.addresses', '2001:db8:cafe:1::5/64, 2001:db8:cafe:2::5/64',
      'ipv6.gateway', '2001:db8:cafe:1::1',
      'ipv6.routes', '2001:db8:99::/48 2001:db8:cafe:1::fe onlink=true',
      'ipv6.dns', '2001:db8:cafe:d::53,2001:db8:cafe:d::54', 'ipv6.dns-search', 'openstacklocal',
    ]);
  });

  it('clears the lists a dynamic profile does not have', () => {
    expect(ipv6Modify('[ipv6]\nmethod=auto\n')).toEqual(['ipv6.method', 'auto', 'ipv6.addresses', '', 'ipv6.gateway', '', 'ipv6.routes', '', 'ipv6.dns', '', 'ipv6.dns-search', '']);
  });
});
