/**
 * `v6agent doctor --root`: the file checks on an image tree, through the
 * built binary. A tree `apply` rendered is all-ok; each file another tool
 * left behind is reported as exactly its finding, naming file and setting.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, requireBinary, v6agent } from '../bin.js';
import { makeRoot } from '../helpers.js';

const V6ONLY = resolve('examples/drives/v6only-slaac');
const DUAL = resolve('examples/drives/dual-slaac');
const MAC = 'fa:16:3e:5c:2a:7e';
let roots: string[] = [];
afterEach(() => {
  roots.forEach((d) => rmSync(d, { recursive: true, force: true }));
  roots = [];
});
beforeAll(requireBinary);

/** An image tree as `v6agent apply` leaves it for the IPv6-only SLAAC example drive, plus `files`. */
function tree(files: Record<string, string> = {}, drive = V6ONLY): string {
  const root = makeRoot();
  roots.push(root);
  writeFileSync(join(root, 'etc/os-release'), 'ID=debian\nVERSION_ID=12\n');
  const r = v6agent(['apply', '--config-drive', drive, '--root', root, '--stack', 'eni', '--iface', `${MAC}=eth0`]);
  expect(r.status, r.stderr).toBe(0);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text, { mode: 0o600 });
  }
  return root;
}

interface Check {
  id: string;
  interface: string | null;
  status: 'ok' | 'warn' | 'fail';
  observed: string;
  expected: string;
  why: string;
  fix: string;
}

function doctor(root: string, drive = V6ONLY): { code: number | null; checks: Check[]; fixed: unknown[] } {
  const r = v6agent(['doctor', '--root', root, '--config-drive', drive, '--json']);
  expect(r.stderr).toBe('');
  return { code: r.status, ...JSON.parse(r.stdout) };
}

const problems = (checks: Check[]): string[] => checks.filter((c) => c.status !== 'ok').map((c) => `${c.status} ${c.id}`).sort();
const find = (checks: Check[], id: string): Check => checks.find((c) => c.id === id && c.status !== 'ok')!;

const KEYFILE = (ipv6: string) => `[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n[ipv6]\n${ipv6}\n`;
const NM = '/etc/NetworkManager/system-connections/eth0.nmconnection';

describe('v6agent doctor --root', () => {
  it('a tree v6agent apply rendered is all-ok and exits 0', () => {
    const r = doctor(tree());
    expect(problems(r.checks)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.fixed).toEqual([]);
  });

  it('NetworkManager addr-gen-mode=stable-privacy: fail naming the keyfile and setting', () => {
    const r = doctor(tree({ [NM]: KEYFILE('method=auto\naddr-gen-mode=stable-privacy') }));
    expect(problems(r.checks)).toEqual(['fail nm.addr_gen_mode']);
    expect(r.code).toBe(1);
    expect(find(r.checks, 'nm.addr_gen_mode')).toMatchObject({ interface: 'eth0', observed: `${NM} [ipv6] addr-gen-mode=stable-privacy`, expected: 'addr-gen-mode=eui64' });
  });

  it("NetworkManager addr-gen-mode=1 is NM's stable-privacy (the kernel's 1 is none)", () => {
    expect(problems(doctor(tree({ [NM]: KEYFILE('method=auto\naddr-gen-mode=1') })).checks)).toEqual(['fail nm.addr_gen_mode']);
    expect(problems(doctor(tree({ [NM]: KEYFILE('method=auto\naddr-gen-mode=0') })).checks)).toEqual([]);
  });

  it('addr-gen-mode=default with no global default is stable-privacy; a conf.d global default is followed', () => {
    expect(problems(doctor(tree({ [NM]: KEYFILE('method=auto\naddr-gen-mode=default') })).checks)).toEqual(['fail nm.addr_gen_mode']);
    const global = '/etc/NetworkManager/conf.d/30-cloud-init-ip6-addr-gen-mode.conf';
    expect(problems(doctor(tree({ [NM]: KEYFILE('method=auto\naddr-gen-mode=default'), [global]: '[connection.30-cloud-init-ip6-addr-gen-mode]\nipv6.addr-gen-mode=0\n' })).checks)).toEqual([]);
    const bad = doctor(tree({ [NM]: KEYFILE('method=auto'), '/etc/NetworkManager/conf.d/00-privacy.conf': '[connection]\nipv6.addr-gen-mode=stable-privacy\n' }));
    expect(problems(bad.checks)).toEqual(['fail nm.addr_gen_mode']);
  });

  it('NetworkManager ip6-privacy=2: fail; 0 and -1 pass', () => {
    expect(problems(doctor(tree({ [NM]: KEYFILE('method=auto\nip6-privacy=2') })).checks)).toEqual(['fail nm.ip6_privacy']);
    expect(problems(doctor(tree({ [NM]: KEYFILE('method=auto\nip6-privacy=0') })).checks)).toEqual([]);
  });

  it('NetworkManager ipv6.method=dhcp: fail, no default route', () => {
    const r = doctor(tree({ [NM]: KEYFILE('method=dhcp') }));
    expect(problems(r.checks)).toEqual(['fail nm.method']);
    expect(find(r.checks, 'nm.method').observed).toBe(`${NM} [ipv6] method=dhcp`);
  });

  it('a keyfile others can read is ignored by NetworkManager: fail naming its mode', () => {
    const root = tree({ [NM]: KEYFILE('method=auto') });
    chmodSync(join(root, NM), 0o644);
    const r = doctor(root);
    expect(problems(r.checks)).toEqual(['fail nm.keyfile_mode']);
    expect(find(r.checks, 'nm.keyfile_mode').observed).toBe(`${NM}: mode 0644, owner uid 0`);
  });

  it('netplan ipv6-address-generation: stable-privacy and ipv6-privacy: true: one finding each', () => {
    const yaml = 'network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp6: true\n      ipv6-address-generation: stable-privacy\n      ipv6-privacy: true\n';
    const r = doctor(tree({ '/etc/netplan/50-cloud-init.yaml': yaml }));
    expect(problems(r.checks)).toEqual(['fail netplan.address_generation', 'fail netplan.privacy']);
    expect(find(r.checks, 'netplan.privacy').observed).toBe('/etc/netplan/50-cloud-init.yaml: ethernets.eth0.ipv6-privacy: true');
  });

  it('networkd IPv6PrivacyExtensions=yes and a stable-privacy link-local: one finding each', () => {
    const unit = '[Match]\nName=eth0\n\n[Network]\nIPv6PrivacyExtensions=yes\nIPv6LinkLocalAddressGenerationMode=stable-privacy\n';
    const r = doctor(tree({ '/etc/systemd/network/10-eth0.network': unit }));
    expect(problems(r.checks)).toEqual(['fail networkd.address_generation', 'fail networkd.privacy']);
    expect(find(r.checks, 'networkd.privacy').interface).toBe('eth0');
  });

  it('ifcfg IPV6_PRIVACY=rfc3041: fail', () => {
    const r = doctor(tree({ '/etc/sysconfig/network-scripts/ifcfg-eth0': 'DEVICE=eth0\nIPV6INIT=yes\nIPV6_AUTOCONF=yes\nIPV6_PRIVACY=rfc3041\n' }));
    expect(problems(r.checks)).toEqual(['fail ifcfg.privacy']);
    expect(find(r.checks, 'ifcfg.privacy').observed).toBe('/etc/sysconfig/network-scripts/ifcfg-eth0: IPV6_PRIVACY=rfc3041');
  });

  it('ifupdown privext 2 in an inet6 stanza: fail', () => {
    const r = doctor(tree({ '/etc/network/interfaces.d/60-privacy': 'iface eth0 inet6 auto\n  privext 2\n' }));
    expect(problems(r.checks)).toEqual(['fail ifupdown.privext']);
  });

  it('a sysctl.d file after 60-v6agent-eth0.conf setting use_tempaddr = 2 wins at boot: fail naming it', () => {
    const r = doctor(tree({ '/etc/sysctl.d/99-privacy.conf': 'net.ipv6.conf.eth0.use_tempaddr = 2\n' }));
    expect(problems(r.checks)).toEqual(['fail sysctl.persistent']);
    expect(find(r.checks, 'sysctl.persistent')).toMatchObject({ interface: 'eth0', observed: '/etc/sysctl.d/99-privacy.conf: net.ipv6.conf.eth0.use_tempaddr = 2, and it is applied last' });
  });

  it("a sysctl.d file before ours loses; Ubuntu's privacy default overridden by 99-cloudimg is fine; left standing it warns", () => {
    expect(problems(doctor(tree({ '/etc/sysctl.d/10-early.conf': 'net.ipv6.conf.eth0.use_tempaddr = 2\n' })).checks)).toEqual([]);
    const ubuntu = { '/usr/lib/sysctl.d/10-ipv6-privacy.conf': 'net.ipv6.conf.all.use_tempaddr = 2\nnet.ipv6.conf.default.use_tempaddr = 2\n' };
    expect(problems(doctor(tree({ ...ubuntu, '/etc/sysctl.d/99-cloudimg-ipv6.conf': 'net.ipv6.conf.all.use_tempaddr = 0\nnet.ipv6.conf.default.use_tempaddr = 0\n' })).checks)).toEqual([]);
    expect(problems(doctor(tree(ubuntu)).checks)).toEqual(['warn sysctl.persistent']);
    // The same name in /etc hides the one in /usr/lib.
    expect(problems(doctor(tree({ ...ubuntu, '/etc/sysctl.d/10-ipv6-privacy.conf': '' })).checks)).toEqual([]);
  });

  it('Docker without IPv6 on an IPv6-only VM: warn; with ipv6 and fixed-cidr-v6: ok; on a dual-stack VM: not checked', () => {
    expect(problems(doctor(tree({ '/etc/docker/daemon.json': '{}' })).checks)).toEqual(['warn docker.ipv6']);
    expect(problems(doctor(tree({ '/etc/docker/daemon.json': '{"ipv6": true, "fixed-cidr-v6": "2001:db8:1::/64"}' })).checks)).toEqual([]);
    const dual = doctor(tree({ '/etc/docker/daemon.json': '{}' }, DUAL), DUAL);
    expect(dual.checks.some((c) => c.id === 'docker.ipv6')).toBe(false);
  });

  it('cloud-init waiting on 169.254.169.254 only, on an IPv6-only VM: fail', () => {
    const cfg = 'datasource:\n  OpenStack:\n    metadata_urls: ["http://169.254.169.254"]\n';
    const r = doctor(tree({ '/etc/cloud/cloud.cfg.d/90-metadata.cfg': cfg }));
    expect(problems(r.checks)).toEqual(['fail metadata.cloud_init']);
    expect(problems(doctor(tree({ '/etc/cloud/cloud.cfg.d/90-metadata.cfg': 'datasource:\n  OpenStack:\n    metadata_urls: ["http://[fe80::a9fe:a9fe%25eth0]", "http://169.254.169.254"]\n' })).checks)).toEqual([]);
  });

  it('an IPv6-only VM whose resolv.conf has only an IPv4 nameserver: fail', () => {
    const root = tree();
    writeFileSync(join(root, 'etc/resolv.conf'), 'nameserver 192.0.2.53\n');
    const r = doctor(root);
    expect(problems(r.checks)).toEqual(['fail dns.ipv6', 'warn dns.owner']);
    expect(find(r.checks, 'dns.ipv6').observed).toBe('/etc/resolv.conf: nameserver 192.0.2.53');
  });

  it('--root with an interface name, or an unreadable --config-drive, cannot run: exit 2', () => {
    const root = tree();
    expect(v6agent(['doctor', 'eth0', '--root', root]).status).toBe(2);
    const r = v6agent(['doctor', '--root', root, '--config-drive', join(root, 'nope')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot run: --config-drive .*nope: not a directory/);
  });

  it('text output is coloured only on a terminal, and never with NO_COLOR set', () => {
    const root = tree({ [NM]: KEYFILE('method=dhcp') });
    const args = `${BIN} doctor --root ${root}`;
    // script(1) gives the binary a pseudo-terminal as stdout.
    const onTty = (env: NodeJS.ProcessEnv) => spawnSync('script', ['-qec', args, '/dev/null'], { encoding: 'utf8', env }).stdout;
    const { NO_COLOR: _, ...env } = process.env;
    expect(onTty(env)).toMatch(/\x1b\[31mfail\x1b\[0m nm\.method/);
    expect(onTty({ ...env, NO_COLOR: '1' })).not.toMatch(/\x1b\[/);
    expect(v6agent(['doctor', '--root', root], { env }).stdout).not.toMatch(/\x1b\[/);
  });
});
