/**
 * doctor's stack-profile repairs, pure: which findings carry an nmcli or a
 * networkd drop-in repair, how a plan merges them per profile / per file, the
 * drop-in's exact text, and networkd drop-ins overriding the file they name.
 */
import { describe, expect, it } from 'vitest';
import { networkdChecks, networkManagerChecks } from '../../agent/doctor/checks/stackFiles.js';
import { planRepairs } from '../../agent/doctor/fix.js';
import type { Facts, FileFact } from '../../agent/doctor/types.js';

const file = (path: string, text: string, mode = 0o600): FileFact => ({ path, text, mode, uid: 0 });
const NM = '/etc/NetworkManager/system-connections/web.nmconnection';
const UUID = '5b9a3c1e-0f3d-4c6e-9d2a-1b2c3d4e5f60';
const nmProfile = (ipv6: string, mode = 0o600) => file(NM, `[connection]\nid=web\nuuid=${UUID}\ntype=ethernet\ninterface-name=eth0\n\n[ipv6]\nmethod=auto\n${ipv6}`, mode);
const ND = '/run/systemd/network/10-netplan-eth0.network';
const networkd = (extra: string) => file(ND, `[Match]\nName=eth0\n\n[Network]\nDHCP=ipv6\n${extra}`, 0o644);
const facts = (files: FileFact[]): Facts => ({ root: '/', live: undefined, declared: undefined, declaredNote: '', resolv: undefined, files });

describe('NetworkManager profile repairs', () => {
  it('stable-privacy and ip6-privacy=2 in one profile: two findings, one nmcli modify of both settings by uuid', () => {
    const findings = networkManagerChecks([nmProfile('addr-gen-mode=stable-privacy\nip6-privacy=2\n')]);
    const bad = findings.filter((f) => f.status !== 'ok');
    expect(bad.map((f) => f.id)).toEqual(['nm.addr_gen_mode', 'nm.ip6_privacy']);
    expect(bad[0]!.fix).toBe(`nmcli connection modify uuid ${UUID} ipv6.addr-gen-mode eui64 && nmcli device reapply eth0 (in place: the link stays up)`);
    const plan = planRepairs(facts([]), findings);
    expect(plan.nm).toEqual([{ findings: bad, profile: { by: 'uuid', value: UUID }, settings: [['ipv6.addr-gen-mode', 'eui64'], ['ipv6.ip6-privacy', '0']] }]);
  });

  it('a keyfile NetworkManager ignores (mode 0644) gets no nmcli repair: nmcli cannot reach it, the fix stays manual', () => {
    const findings = networkManagerChecks([nmProfile('addr-gen-mode=stable-privacy\n', 0o644)]);
    const agm = findings.find((f) => f.id === 'nm.addr_gen_mode')!;
    expect(agm).toMatchObject({ status: 'fail', repairs: [] });
    expect(agm.fix).toMatch(/^manual fix: /);
    expect(planRepairs(facts([]), findings).nm).toEqual([]);
  });
});

describe('networkd drop-in repairs', () => {
  it('IPv6PrivacyExtensions=yes and a stable-privacy link-local: one drop-in in /etc for the /run file, both settings, exact text', () => {
    const findings = networkdChecks([networkd('IPv6PrivacyExtensions=yes\nIPv6LinkLocalAddressGenerationMode=stable-privacy\n')]);
    expect(findings.filter((f) => f.status !== 'ok').map((f) => f.id)).toEqual(['networkd.privacy', 'networkd.address_generation']);
    const plan = planRepairs(facts([]), findings);
    expect(plan.networkd).toHaveLength(1);
    expect(plan.networkd[0]!.iface).toBe('eth0');
    expect(plan.networkd[0]!.file).toEqual({
      path: '/etc/systemd/network/10-netplan-eth0.network.d/60-v6agent-doctor.conf',
      mode: 0o644,
      content: [
        `# Written by v6agent doctor --fix for ${ND}: Neutron's port security`,
        '# passes only EUI-64 addresses of the port\'s MAC, never privacy ones.',
        '# This drop-in overrides that file; delete it to undo, then',
        '# `networkctl reload && networkctl reconfigure IFACE`.',
        '[Network]',
        'IPv6PrivacyExtensions=no',
        'IPv6LinkLocalAddressGenerationMode=eui64',
        '',
      ].join('\n'),
    });
  });

  it('a drop-in overrides the file it names: the fixed setting reads ok, naming the drop-in', () => {
    const dropin = file('/etc/systemd/network/10-netplan-eth0.network.d/60-v6agent-doctor.conf', '[Network]\nIPv6PrivacyExtensions=no\n', 0o644);
    const findings = networkdChecks([networkd('IPv6PrivacyExtensions=yes\n'), dropin]);
    expect(findings.find((f) => f.id === 'networkd.privacy')).toMatchObject({ status: 'ok', observed: `${dropin.path} IPv6PrivacyExtensions=no` });
  });

  it("drop-ins apply in file-name order across /run and /etc, and /etc's hides a same-named one in /run", () => {
    const d = (dir: string, name: string, value: string) => file(`${dir}/10-netplan-eth0.network.d/${name}`, `[Network]\nIPv6PrivacyExtensions=${value}\n`, 0o644);
    const privacy = (files: FileFact[]) => networkdChecks([networkd(''), ...files]).find((f) => f.id === 'networkd.privacy')!.status;
    expect(privacy([d('/etc/systemd/network', '10-a.conf', 'no'), d('/run/systemd/network', '20-b.conf', 'yes')])).toBe('fail');
    expect(privacy([d('/run/systemd/network', '10-a.conf', 'yes'), d('/etc/systemd/network', '10-a.conf', 'no')])).toBe('ok');
  });

  it('a Token=prefixstable stays a manual fix: a Token= list is the file\'s own business', () => {
    const f = networkdChecks([file('/etc/systemd/network/20-wired.network', '[Match]\nName=eth0\n\n[IPv6AcceptRA]\nToken=prefixstable\n', 0o644)]).find((x) => x.id === 'networkd.address_generation')!;
    expect(f).toMatchObject({ status: 'fail' });
    expect(f.fix).toMatch(/^manual fix: remove the Token=/);
    expect(f.repairs).toBeUndefined();
  });
});
