/**
 * The NetworkManager renderer on image roots: its profile identity, and taking
 * over from cloud-init on a Rocky 9 style root (keyfiles + ifcfg-rh) and a
 * RHEL 10 style root (keyfiles only) while keeping an admin's profiles.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply, type ApplyOptions } from '../../agent/commands/apply.js';
import { Warnings } from '../../agent/errors.js';
import type { Instance, Interface } from '../../agent/model/instance.js';
import { readTarget } from '../../agent/sources/target.js';
import { profileUuid, renderNmKeyfile } from '../../distro/networkmanager.js';
import { makeRoot, readTree, removeRoot } from '../helpers.js';

let roots: string[] = [];
const root = (): string => {
  const r = makeRoot();
  roots.push(r);
  return r;
};
afterEach(() => {
  roots.forEach(removeRoot);
  roots = [];
});

const KEYFILES = 'etc/NetworkManager/system-connections';
const SCRIPTS = 'etc/sysconfig/network-scripts';

/** `apply --root ROOT --distro rhel --stack networkmanager` on a golden case's drive (eth0 = fa:16:3e:5c:2a:7e, eth1 = fa:16:3e:11:22:33). */
const renderNm = (r: string, drive: string, over: Partial<ApplyOptions> = {}) =>
  runApply({ configDrive: `test/golden/${drive}/drive`, root: r, distro: 'rhel', stack: 'networkmanager', iface: ['fa:16:3e:5c:2a:7e=eth0', 'fa:16:3e:11:22:33=eth1'], dryRun: false, probe: false, probeTimeoutMs: 0, ...over });

function seed(r: string, path: string, text: string, mode = 0o644): void {
  mkdirSync(join(r, path, '..'), { recursive: true });
  writeFileSync(join(r, path), text, { mode });
}

const eth = (over: Partial<Interface>): Interface => ({ name: 'eth0', mac: 'fa:16:3e:5c:2a:7e', kind: { type: 'physical' }, bondMaster: undefined, mtu: undefined, ipv4: undefined, ipv6: undefined, ...over });
const instance = (interfaces: Interface[], nameservers: string[] = []): Instance => ({ uuid: undefined, name: undefined, hostname: undefined, fqdn: undefined, manageEtcHosts: false, sshKeys: [], interfaces, dns: { nameservers, search: [] }, source: 'test' });

describe('profile identity', () => {
  it('is a UUIDv5 of the MAC in v6agent\'s namespace (python: uuid5(UUID("6bacef43-80cb-4134-9b52-8ab3f9719b17"), "mac:fa:16:3e:5c:2a:7e"))', () => {
    expect(profileUuid(eth({}))).toBe('abde6a08-5ccc-54d1-9e9d-3c8162be0e59');
  });

  it('stays with the port when its name changes, and differs between ports', () => {
    expect(profileUuid(eth({ name: 'ens3' }))).toBe(profileUuid(eth({})));
    expect(profileUuid(eth({ mac: 'fa:16:3e:11:22:33' }))).not.toBe(profileUuid(eth({})));
  });

  it('writes keyfiles root-owned 0600 and the conf.d defaults eui64 / no privacy', async () => {
    const r = root();
    await renderNm(r, 'dual-slaac');
    const st = statSync(join(r, KEYFILES, 'v6agent-eth0.nmconnection'));
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o600, 0, 0]);
    expect(readFileSync(join(r, 'etc/NetworkManager/conf.d/30-v6agent-ipv6.conf'), 'utf8')).toMatch(/\nipv6\.addr-gen-mode=0\nipv6\.ip6-privacy=0\n$/);
  });
});

describe('what the renderer drops, with a warning', () => {
  it('a bond option NetworkManager would refuse', () => {
    const warnings = new Warnings();
    const bond = eth({ name: 'bond0', mac: undefined, kind: { type: 'bond', slaves: ['eth0'], mode: 'active-backup', options: { miimon: '100', xmit_hash_policy: 'nonsense', frobnicate: '1' } }, ipv4: { method: 'dhcp' } });
    const plan = renderNmKeyfile(instance([eth({ bondMaster: 'bond0' }), bond]), readTarget(root(), false, 'rhel', 'networkmanager'), warnings);
    expect(plan.files.find((f) => f.path.endsWith('v6agent-bond0.nmconnection'))!.content).toMatch(/\[bond\]\nmode=active-backup\nmiimon=100\n\n/);
    expect(warnings.list.map((w) => w.message)).toEqual(['bond option xmit_hash_policy=nonsense dropped: NetworkManager does not accept it', 'bond option frobnicate=1 dropped: NetworkManager does not accept it']);
  });

  it('IPv4 nameservers on an instance without IPv4 (NM refuses ipv4.dns with method=disabled)', () => {
    const warnings = new Warnings();
    const v6only = eth({ ipv6: { mode: 'slaac', addresses: [], gateway: undefined, routes: [] } });
    const plan = renderNmKeyfile(instance([v6only], ['2001:db8:53::53', '192.0.2.53']), readTarget(root(), false, 'rhel', 'networkmanager'), warnings);
    expect(plan.files[0]!.content).toMatch(/\[ipv4\]\nmethod=disabled\n\n\[ipv6\]\nmethod=auto\n.*dns=2001:db8:53::53;\nmay-fail=false\n$/s);
    expect(warnings.list).toEqual([{ where: 'NetworkManager profiles', message: 'IPv4 nameservers 192.0.2.53 dropped: no interface has IPv4' }]);
  });
});

describe('DNS when NetworkManager owns resolv.conf', () => {
  it('goes into the profiles, not into a global-dns drop-in that would hide RA and DHCPv6 DNS', async () => {
    const r = root();
    seed(r, 'etc/resolv.conf', '# Generated by NetworkManager\nnameserver 192.0.2.99\n');
    const report = await renderNm(r, 'dual-slaac');
    expect(existsSync(join(r, 'etc/NetworkManager/conf.d/60-v6agent-dns.conf'))).toBe(false);
    expect(readFileSync(join(r, KEYFILES, 'v6agent-eth0.nmconnection'), 'utf8')).toMatch(/dns=2001:db8:53::53;/);
    expect(report.notes).toContain("/etc/resolv.conf belongs to NetworkManager: DNS written into v6agent's profiles");
  });
});

const CLOUD_INIT_IFCFG = '# Created by cloud-init automatically, do not edit.\n#\nAUTOCONNECT_PRIORITY=120\nBOOTPROTO=dhcp\nDEVICE=eth0\nDHCPV6C=yes\nHWADDR=FA:16:3E:5C:2A:7E\nIPV6INIT=yes\nIPV6_AUTOCONF=no\nONBOOT=yes\nTYPE=Ethernet\nUSERCTL=no\n';
const CLOUD_INIT_ROUTE6 = '# Created by cloud-init automatically, do not edit.\n#\n::/0 via 2001:db8:cafe:1::1 dev eth0\n';
const CLOUD_INIT_KEYFILE = '# Generated by cloud-init. Changes will be lost.\n\n[connection]\nid=cloud-init eth0\nuuid=1dd9a779-d327-56e1-8454-c65e2556c12c\nautoconnect-priority=120\ntype=ethernet\n\n[user]\norg.freedesktop.NetworkManager.origin=cloud-init\n\n[ethernet]\nmac-address=FA:16:3E:5C:2A:7E\n\n[ipv6]\nmethod=dhcp\n';

describe('taking over from cloud-init on a Rocky 9 image (NetworkManager with ifcfg-rh)', () => {
  function rocky9(): string {
    const r = root();
    mkdirSync(join(r, 'etc/cloud/cloud.cfg.d'), { recursive: true });
    seed(r, `${SCRIPTS}/ifcfg-eth0`, CLOUD_INIT_IFCFG);
    seed(r, `${SCRIPTS}/route6-eth0`, CLOUD_INIT_ROUTE6);
    seed(r, `${SCRIPTS}/ifcfg-eth1`, 'DEVICE=eth1\nBOOTPROTO=none\nIPADDR=198.51.100.7\nPREFIX=24\nONBOOT=yes\n');
    seed(r, `${SCRIPTS}/ifcfg-eth7`, '# Created by cloud-init automatically, do not edit.\nDEVICE=eth7\nBOOTPROTO=dhcp\n');
    return r;
  }

  it("backs up and removes cloud-init's ifcfg file and its route6 file for our port, so ifcfg-rh loads no second profile", async () => {
    const r = rocky9();
    const report = await renderNm(r, 'dual-slaac');
    for (const [name, text] of [['ifcfg-eth0', CLOUD_INIT_IFCFG], ['route6-eth0', CLOUD_INIT_ROUTE6]] as const) {
      const removed = report.files.find((f) => f.path === `/${SCRIPTS}/${name}`);
      expect(removed).toMatchObject({ status: 'removed' });
      expect(existsSync(join(r, SCRIPTS, name))).toBe(false);
      expect(readFileSync(join(r, removed!.backup!), 'utf8')).toBe(text);
    }
    expect(readFileSync(join(r, 'etc/cloud/cloud.cfg.d/99-v6agent-network.cfg'), 'utf8')).toMatch(/v6agent-\*\.nmconnection.*\nnetwork:\n {2}config: disabled\n/s);
  });

  it("keeps cloud-init's files for ports we do not configure, and an admin's ifcfg file for ours, reporting the latter", async () => {
    const r = rocky9();
    const report = await renderNm(r, 'two-nics');
    expect(existsSync(join(r, SCRIPTS, 'ifcfg-eth7'))).toBe(true);
    expect(existsSync(join(r, SCRIPTS, 'ifcfg-eth1'))).toBe(true);
    expect(report.warnings).toContainEqual({ where: `/${SCRIPTS}/ifcfg-eth1`, message: expect.stringMatching(/^also configures eth1: NetworkManager keeps both profiles .*autoconnect-priority \(v6agent's is 130\)/) });
  });

  it('removes the ifcfg files v6agent itself wrote for our port when the image was rendered for ifcfg before', async () => {
    const r = root();
    await runApply({ configDrive: 'test/golden/dual-static/drive', root: r, distro: 'rhel', stack: 'ifcfg', iface: ['fa:16:3e:5c:2a:7e=eth0'], dryRun: false, probe: false, probeTimeoutMs: 0 });
    expect(existsSync(join(r, SCRIPTS, 'ifcfg-eth0'))).toBe(true);
    const report = await renderNm(r, 'dual-static');
    expect(report.files.filter((f) => f.status === 'removed').map((f) => f.path).sort()).toEqual([`/${SCRIPTS}/ifcfg-eth0`, `/${SCRIPTS}/route6-eth0`]);
  });

  it('changes nothing on a second run', async () => {
    const r = rocky9();
    await renderNm(r, 'dual-slaac');
    expect((await renderNm(r, 'dual-slaac')).changed).toBe(false);
  });
});

describe('taking over from cloud-init on a RHEL 10 image (keyfiles only)', () => {
  function rhel10(): string {
    const r = root();
    mkdirSync(join(r, 'etc/cloud'), { recursive: true });
    seed(r, `${KEYFILES}/cloud-init-eth0.nmconnection`, CLOUD_INIT_KEYFILE, 0o600);
    seed(r, `${KEYFILES}/office.nmconnection`, '[connection]\nid=office\ntype=ethernet\ninterface-name=eth1\n\n[ipv4]\nmethod=auto\n', 0o600);
    seed(r, `${KEYFILES}/v6agent-eth9.nmconnection`, '# Written by v6agent from the OpenStack config drive, and rewritten on every run.\n[connection]\nid=v6agent eth9\ntype=ethernet\n', 0o600);
    return r;
  }

  it("--dry-run shows cloud-init's keyfile going, with its text, and writes nothing", async () => {
    const r = rhel10();
    const before = readTree(r);
    const report = await renderNm(r, 'dual-slaac', { dryRun: true });
    const removal = report.files.find((f) => f.path === `/${KEYFILES}/cloud-init-eth0.nmconnection`);
    expect(removal).toMatchObject({ status: 'removed' });
    expect(removal!.diff).toContain('-method=dhcp');
    expect(readTree(r)).toEqual(before);
  });

  it("removes cloud-init's keyfile and v6agent's own profile for a port no longer on the drive", async () => {
    const r = rhel10();
    const report = await renderNm(r, 'two-nics');
    expect(report.files.filter((f) => f.status === 'removed').map((f) => f.path)).toEqual([`/${KEYFILES}/cloud-init-eth0.nmconnection`, `/${KEYFILES}/v6agent-eth9.nmconnection`]);
    expect(existsSync(join(r, KEYFILES, 'v6agent-eth0.nmconnection'))).toBe(true);
  });

  it("keeps and reports an admin's profile for one of our ports, and one that matches any Ethernet port", async () => {
    const r = rhel10();
    seed(r, `${KEYFILES}/any.nmconnection`, '[connection]\nid=any\ntype=ethernet\n\n[ipv4]\nmethod=auto\n', 0o600);
    const report = await renderNm(r, 'two-nics');
    expect(existsSync(join(r, KEYFILES, 'office.nmconnection'))).toBe(true);
    expect(report.warnings.map((w) => `${w.where}: ${w.message.split(':')[0]}`)).toEqual([`/${KEYFILES}/any.nmconnection: also configures eth0, eth1`, `/${KEYFILES}/office.nmconnection: also configures eth1`]);
  });
});
