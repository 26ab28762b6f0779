/**
 * Taking over from cloud-init under netplan and systemd-networkd: cloud-init's
 * files for our interfaces are backed up and removed and cloud-init is told
 * not to write them again; an admin's files are kept and reported; the netplan
 * device IDs of existing files are reused; --dry-run shows all of it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runApply, type ApplyOptions } from '../../agent/commands/apply.js';
import { rootPerTest } from '../helpers.js';
import { netplanGate, netplanGenerate } from '../netplan.js';

const newRoot = rootPerTest();
/** An image root with cloud-init installed. */
const root = (): string => {
  const r = newRoot();
  mkdirSync(join(r, 'etc/cloud/cloud.cfg.d'), { recursive: true });
  return r;
};

const MAC = 'fa:16:3e:5c:2a:7e';
const render = (r: string, stack: string, drive = 'dual-slaac', over: Partial<ApplyOptions> = {}) =>
  runApply({ configDrive: `test/golden/${drive}/drive`, root: r, distro: 'debian', stack, iface: [`${MAC}=eth0`], dryRun: false, probe: false, probeTimeoutMs: 0, ...over });
const put = (r: string, path: string, text: string): void => {
  mkdirSync(join(r, path, '..'), { recursive: true });
  writeFileSync(join(r, path), text, { mode: 0o600 });
};
const backupOf = (r: string, backup: string): string => readFileSync(join(r, backup), 'utf8');

/** What cloud-init 22.4 (Debian 12) writes for a nova drive. */
const CLOUD_INIT_YAML = `# This file is generated from information provided by the datasource.  Changes
# to it will not persist across an instance reboot.  To disable cloud-init's
# network configuration capabilities, write a file
# /etc/cloud/cloud.cfg.d/99-disable-network-config.cfg with the following:
# network: {config: disabled}
network:
    version: 2
    ethernets:
        ens3:
            dhcp4: true
            dhcp6: true
            match:
                macaddress: ${MAC}
            mtu: 1450
            set-name: eth0
`;

describe('netplan', () => {
  it("backs up and removes cloud-init's 50-cloud-init.yaml and stops cloud-init writing it again", async () => {
    const r = root();
    put(r, '/etc/netplan/50-cloud-init.yaml', CLOUD_INIT_YAML);
    const report = await render(r, 'netplan');
    const removed = report.files.find((f) => f.path === '/etc/netplan/50-cloud-init.yaml');
    expect(removed).toMatchObject({ status: 'removed' });
    expect(existsSync(join(r, 'etc/netplan/50-cloud-init.yaml'))).toBe(false);
    expect(backupOf(r, removed!.backup!)).toBe(CLOUD_INIT_YAML);
    expect(readFileSync(join(r, 'etc/cloud/cloud.cfg.d/99-v6agent-network.cfg'), 'utf8')).toMatch(/\nnetwork:\n {2}config: disabled\n$/);
    expect((await render(r, 'netplan')).changed).toBe(false);
  });

  it("keeps cloud-init's file when it also configures other NICs, and reuses its ID for ours", async () => {
    const r = root();
    const both = `${CLOUD_INIT_YAML}        ens4:\n            dhcp4: true\n            match:\n                macaddress: fa:16:3e:00:00:04\n            set-name: eth9\n`;
    put(r, '/etc/netplan/50-cloud-init.yaml', both);
    const report = await render(r, 'netplan');
    expect(readFileSync(join(r, 'etc/netplan/50-cloud-init.yaml'), 'utf8')).toBe(both);
    expect(report.warnings).toContainEqual({ where: '/etc/netplan/50-cloud-init.yaml', message: "also configures eth0 under the same ID; v6agent's settings override it, keys v6agent does not set are kept" });
    expect(readFileSync(join(r, 'etc/netplan/90-v6agent.yaml'), 'utf8')).toMatch(/^ {2}ethernets:\n {4}ens3:\n {6}match:\n {8}macaddress: "fa:16:3e:5c:2a:7e"\n {6}set-name: "eth0"\n/m);
  });

  it('writes the YAML readable by root only', async () => {
    const r = root();
    await render(r, 'netplan');
    const { statSync } = await import('node:fs');
    expect(statSync(join(r, 'etc/netplan/90-v6agent.yaml')).mode & 0o777).toBe(0o600);
  });

  it("keeps an admin's file for the same NIC, reuses its ID and reports it", async () => {
    const r = root();
    const admin = `network:\n  version: 2\n  ethernets:\n    uplink:\n      match: {macaddress: "${MAC}"}\n      mtu: 9000\n`;
    put(r, '/etc/netplan/60-admin.yaml', admin);
    const report = await render(r, 'netplan');
    expect(readFileSync(join(r, 'etc/netplan/60-admin.yaml'), 'utf8')).toBe(admin);
    expect(readFileSync(join(r, 'etc/netplan/90-v6agent.yaml'), 'utf8')).toMatch(/^ {4}uplink:$/m);
    expect(report.warnings).toContainEqual({ where: '/etc/netplan/60-admin.yaml', message: "also configures eth0 under the same ID; v6agent's settings override it, keys v6agent does not set are kept" });
    expect(existsSync(join(r, 'etc/cloud/cloud.cfg.d/99-v6agent-network.cfg'))).toBe(false);
  });

  it("writes under an ID that sorts before a name-glob definition of another file (Debian's 90-default.yaml), so networkd applies ours", async () => {
    const r = root();
    put(r, '/etc/netplan/90-default.yaml', 'network:\n  version: 2\n  ethernets:\n    all-eth:\n      match: {name: "eth*"}\n      dhcp4: true\n      dhcp6: true\n');
    const report = await render(r, 'netplan');
    expect(readFileSync(join(r, 'etc/netplan/90-v6agent.yaml'), 'utf8')).toMatch(/^ {4}0-v6agent-eth0:\n {6}match:\n {8}macaddress: "fa:16:3e:5c:2a:7e"\n/m);
    expect(report.warnings).toContainEqual({ where: '/etc/netplan/90-default.yaml', message: 'ID all-eth matches eth0 by name (eth*); netplan generates a separate file for it, and ours sorts first and is the one applied (narrow or remove that match)' });
    expect((await render(r, 'netplan')).changed).toBe(false);
  });

  it('shows the removal and the new files with --dry-run, and writes nothing', async () => {
    const r = root();
    put(r, '/etc/netplan/50-cloud-init.yaml', CLOUD_INIT_YAML);
    const report = await render(r, 'netplan', 'dual-slaac', { dryRun: true });
    expect(report.files.filter((f) => f.status !== 'unchanged').map((f) => `${f.status} ${f.path}`)).toEqual(expect.arrayContaining(['removed /etc/netplan/50-cloud-init.yaml', 'created /etc/netplan/90-v6agent.yaml', 'created /etc/cloud/cloud.cfg.d/99-v6agent-network.cfg']));
    expect(report.files.find((f) => f.path === '/etc/netplan/50-cloud-init.yaml')!.diff).toMatch(/^-\s+set-name: eth0$/m);
    expect(existsSync(join(r, 'etc/netplan/90-v6agent.yaml'))).toBe(false);
    expect(existsSync(join(r, 'etc/netplan/50-cloud-init.yaml'))).toBe(true);
  });

  it('names a file netplan would refuse', async () => {
    const r = root();
    put(r, '/etc/netplan/70-broken.yaml', 'network: [\n');
    const report = await render(r, 'netplan');
    expect(report.warnings).toContainEqual({ where: '/etc/netplan/70-broken.yaml', message: 'is not valid YAML; netplan will refuse it and configure nothing (fix or remove it)' });
  });
});

describe.runIf(netplanGate().run)("netplan beside Debian's 90-default.yaml, checked by netplan generate", () => {
  it('the first generated networkd file that matches the NIC (the one networkd applies) is ours', async () => {
    const r = root();
    put(r, '/etc/netplan/90-default.yaml', 'network:\n  version: 2\n  ethernets:\n    all-en:\n      match: {name: "en*"}\n      dhcp4: true\n      dhcp6: true\n    all-eth:\n      match: {name: "eth*"}\n      dhcp4: true\n      dhcp6: true\n');
    await render(r, 'netplan', 'v6only-static');
    const gen = netplanGenerate(r);
    expect(gen.status, gen.stderr).toBe(0);
    const dir = join(r, 'run/systemd/network');
    const first = readdirSync(dir).filter((n) => n.endsWith('.network')).sort().find((n) => /Name=eth0|MACAddress=fa:16:3e:5c:2a:7e|Name=eth\*/.test(readFileSync(join(dir, n), 'utf8')));
    expect(first).toBe('10-netplan-0-v6agent-eth0.network');
    expect(readFileSync(join(dir, first!), 'utf8')).toContain('Address=2001:db8:40:1::10/64');
  });
});

describe.runIf(netplanGate().run)('netplan, NetworkManager backend', () => {
  it('gives an IPv6-only NIC ipv4.method=disabled instead of netplan’s link-local, and ipv6.method=auto with EUI-64', async () => {
    const r = root();
    put(r, '/etc/netplan/01-network-manager-all.yaml', 'network:\n  version: 2\n  renderer: NetworkManager\n');
    await render(r, 'netplan', 'v6only-slaac');
    expect(readFileSync(join(r, 'etc/netplan/90-v6agent.yaml'), 'utf8')).toMatch(/networkmanager:\n {8}passthrough:\n {10}ipv4\.method: disabled\n/);
    const gen = netplanGenerate(r);
    expect(gen.status, gen.stderr).toBe(0);
    const keyfile = readFileSync(join(r, 'run/NetworkManager/system-connections/netplan-eth0.nmconnection'), 'utf8');
    expect(keyfile).toMatch(/\[ipv4\]\n(#.*\n)?method=disabled\n/);
    expect(keyfile).toMatch(/\[ipv6\]\n(.+\n)*method=auto\n/);
    expect(keyfile).toMatch(/addr-gen-mode=(eui64|0)\n/);
    expect(keyfile).toMatch(/ip6-privacy=0\n/);
  });
});

describe('netplan, per-device renderer', () => {
  it('works around the NetworkManager backend for a device whose own renderer: says so', async () => {
    const r = root();
    put(r, '/etc/netplan/60-admin.yaml', `network:\n  version: 2\n  ethernets:\n    eth0:\n      renderer: NetworkManager\n      match: {macaddress: "${MAC}"}\n`);
    await render(r, 'netplan', 'v6only-slaac');
    expect(readFileSync(join(r, 'etc/netplan/90-v6agent.yaml'), 'utf8')).toMatch(/ipv4\.method: disabled/);
  });
});

describe('systemd-networkd', () => {
  const CLOUD_INIT_NETWORK = '[Match]\nMACAddress=fa:16:3e:5c:2a:7e\nName=eth0\n\n[Network]\nDHCP=ipv4\n';

  it("backs up and removes cloud-init's 10-cloud-init-IF.network, which would sort first and win", async () => {
    const r = root();
    put(r, '/etc/systemd/network/10-cloud-init-eth0.network', CLOUD_INIT_NETWORK);
    const report = await render(r, 'networkd');
    const removed = report.files.find((f) => f.path === '/etc/systemd/network/10-cloud-init-eth0.network');
    expect(removed).toMatchObject({ status: 'removed' });
    expect(backupOf(r, removed!.backup!)).toBe(CLOUD_INIT_NETWORK);
    expect(readFileSync(join(r, 'etc/cloud/cloud.cfg.d/99-v6agent-network.cfg'), 'utf8')).toMatch(/network:\n {2}config: disabled\n/);
    expect((await render(r, 'networkd')).changed).toBe(false);
  });

  it("keeps an admin's file and says when it sorts before ours and wins", async () => {
    const r = root();
    put(r, '/etc/systemd/network/05-lan.network', '[Match]\nName=eth*\n\n[Network]\nDHCP=yes\n');
    put(r, '/etc/systemd/network/99-other.network', '[Match]\nName=eth1 eth2\n');
    const report = await render(r, 'networkd');
    expect(existsSync(join(r, 'etc/systemd/network/05-lan.network'))).toBe(true);
    expect(report.warnings).toContainEqual({ where: '/etc/systemd/network/05-lan.network', message: "matches eth0 and sorts before v6agent's file, so networkd applies it instead (remove the match or rename it after 10-v6agent-*)" });
    expect(report.warnings.map((w) => w.where)).not.toContain('/etc/systemd/network/99-other.network');
  });

  it('shows the removal with --dry-run and writes nothing', async () => {
    const r = root();
    put(r, '/etc/systemd/network/10-cloud-init-eth0.network', CLOUD_INIT_NETWORK);
    const report = await render(r, 'networkd', 'dual-slaac', { dryRun: true });
    expect(report.files.find((f) => f.path === '/etc/systemd/network/10-cloud-init-eth0.network')).toMatchObject({ status: 'removed' });
    expect(report.files.find((f) => f.path === '/etc/systemd/network/10-v6agent-eth0.network')).toMatchObject({ status: 'created' });
    expect(existsSync(join(r, 'etc/systemd/network/10-cloud-init-eth0.network'))).toBe(true);
    expect(existsSync(join(r, 'etc/systemd/network/10-v6agent-eth0.network'))).toBe(false);
  });

  it('keeps only address generation in the sysctl drop-in, sets nothing live, and says why: networkd owns accept_ra', async () => {
    const r = root();
    const report = await render(r, 'networkd');
    const dropIn = readFileSync(join(r, 'etc/sysctl.d/60-v6agent-eth0.conf'), 'utf8');
    expect(dropIn.split('\n').filter((l) => l.startsWith('net.'))).toEqual(['net.ipv6.conf.eth0.use_tempaddr = 0', 'net.ipv6.conf.eth0.addr_gen_mode = 0']);
    expect(report.sysctls).toEqual([]);
    expect(report.notes.join('\n')).toMatch(/networkd handles RAs itself .* keeps only use_tempaddr and addr_gen_mode .* nothing is set live/);
  });
});
