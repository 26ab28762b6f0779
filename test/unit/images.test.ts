/**
 * `apply --root` on roots seeded like today's cloud images picks the stack the
 * image runs — with no --distro and no --stack — reports why, and writes files
 * the real tools accept: a Debian 12 cloud image (netplan + networkd +
 * resolved), Rocky 9 (NetworkManager + ifcfg-rh), RHEL 10 (NetworkManager,
 * keyfiles only).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatApplyReport, runApply } from '../../agent/commands/apply.js';
import { registeredStacks } from '../../distro/registry.js';
import { rootPerTest } from '../helpers.js';
import { seedDebian12Cloud, seedRhel10, seedRocky9 } from '../images.js';
import { netplanGate, netplanGenerate } from '../netplan.js';

const root = rootPerTest();

const MAC = 'fa:16:3e:5c:2a:7e';
const apply = (r: string, drive = 'dual-dhcpv6-stateless', dryRun = false) =>
  runApply({ configDrive: `test/golden/${drive}/drive`, root: r, distro: undefined, iface: [`${MAC}=eth0`], dryRun, probe: false, probeTimeoutMs: 0 });
const CLOUD_INIT_YAML = `# This file is generated from information provided by the datasource.  Changes
# to it will not persist across an instance reboot.
network:
    version: 2
    ethernets:
        eth0:
            dhcp4: true
            dhcp6: true
            match:
                macaddress: ${MAC}
            set-name: eth0
`;

describe('a Debian 12 cloud image (netplan → systemd-networkd, systemd-resolved)', () => {
  it('is rendered as netplan, with the evidence in the report', async () => {
    const r = root();
    seedDebian12Cloud(r, { cloudInitYaml: CLOUD_INIT_YAML });
    const report = await apply(r, 'dual-dhcpv6-stateless', true);
    expect(report.distro).toBe('debian');
    expect(report.stack.name).toBe('netplan');
    expect(report.stack.evidence).toEqual(['netplan: /lib/systemd/system-generators/netplan configured by /etc/netplan/50-cloud-init.yaml', 'netplan backend: networkd (default)']);
    expect(formatApplyReport(report)).toMatch(/^v6agent apply: debian, netplan \(netplan: .*; netplan backend: networkd \(default\)\)/);
  });

  it("replaces cloud-init's YAML with ours, DNS through resolved, and netplan generate accepts the result", async () => {
    const r = root();
    seedDebian12Cloud(r, { cloudInitYaml: CLOUD_INIT_YAML });
    const report = await apply(r);
    expect(report.files.filter((f) => f.status !== 'unchanged').map((f) => `${f.status} ${f.path}`).sort()).toEqual(
      [
        'created /etc/cloud/cloud.cfg.d/99-v6agent-network.cfg',
        'created /etc/hostname',
        'created /etc/hosts',
        'created /etc/netplan/90-v6agent.yaml',
        'created /etc/sysctl.d/60-v6agent-eth0.conf',
        'created /etc/systemd/resolved.conf.d/60-v6agent.conf',
        'created /home/debian/.ssh/authorized_keys',
        'removed /etc/netplan/50-cloud-init.yaml',
      ].sort(),
    );
    expect(statSync(join(r, 'etc/netplan/90-v6agent.yaml')).mode & 0o777).toBe(0o600);
    if (!netplanGate().run) return;
    const gen = netplanGenerate(r);
    expect(gen.status, gen.stderr).toBe(0);
    const network = readFileSync(join(r, 'run/systemd/network/10-netplan-eth0.network'), 'utf8');
    expect(network).toMatch(/^IPv6AcceptRA=yes$/m);
    expect(network).toMatch(/^DNS=2001:db8:53::53$/m);
  });
});

describe.each([
  { image: 'Rocky 9 (NetworkManager, ifcfg-rh plugin present)', seed: seedRocky9, distro: 'rocky', evidence: /ifcfg-rh plugin \/usr\/lib64\/NetworkManager\/.*\/libnm-settings-plugin-ifcfg-rh\.so present/ },
  { image: 'RHEL 10 (NetworkManager, keyfiles only)', seed: seedRhel10, distro: 'rhel', evidence: /no ifcfg-rh plugin \(keyfiles only\)/ },
])('a $image image', ({ seed, distro, evidence }) => {
  it('is rendered for NetworkManager, never as ifcfg', async () => {
    const r = root();
    seed(r);
    if (registeredStacks().includes('networkmanager')) {
      const report = await apply(r);
      expect(report).toMatchObject({ distro, stack: { name: 'networkmanager' } });
      expect(report.stack.evidence.join('\n')).toMatch(evidence);
      expect(report.files.some((f) => f.path.startsWith('/etc/sysconfig/network-scripts/'))).toBe(false);
      const keyfile = report.files.find((f) => f.path.startsWith('/etc/NetworkManager/system-connections/'));
      expect(statSync(join(r, keyfile!.path)).mode & 0o777).toBe(0o600);
    } else {
      // This branch has no NetworkManager renderer yet: detection is still proven, and apply refuses rather than writing ifcfg.
      const err = (await apply(r).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/cannot write for networkmanager yet/);
      const { detectStack } = await import('../../distro/stack.js');
      const found = await detectStack(r, false);
      expect(found.stack).toBe('networkmanager');
      expect(found.evidence.join('\n')).toMatch(evidence);
    }
  });
});
