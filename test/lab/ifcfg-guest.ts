/**
 * A lab guest that looks like an EL7 image run by initscripts (no
 * NetworkManager): cloud-init's ifcfg-eth0 in /etc/sysconfig/network-scripts
 * of the guest's private /etc, /var/lib/dhclient (isc-dhcp-client's lease
 * directory on EL), and no networking.service. initscripts itself does not
 * run on Debian; its ifup-eth, for a port with no IPv4 address and
 * IPV6_AUTOCONF=yes, only sets the link up and leaves SLAAC to the kernel,
 * which is what the guest does here. The tools v6agent then runs (ip,
 * dhclient) are the real ones.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import { BIN } from '../bin.js';
import { DHCP6_DNS, Lab, type LabMode } from './lab.js';
import { STATEFUL_ADDRESS, writeLabDrive } from './drive.js';
import { linkUp } from './guest.js';

export const NETWORK_SCRIPTS = 'etc/sysconfig/network-scripts';

/** What cloud-init's sysconfig renderer writes for a SLAAC port (IPv6 only): autoconf, no DHCPv6 client. */
export const cloudInitIfcfg = (mac: string): string =>
  ['# Created by cloud-init automatically, do not edit.', '#', 'AUTOCONNECT_PRIORITY=120', 'BOOTPROTO=none', 'DEVICE=eth0', `HWADDR=${mac.toUpperCase()}`, 'IPV6_AUTOCONF=yes', 'IPV6INIT=yes', 'ONBOOT=yes', 'TYPE=Ethernet', 'USERCTL=no', ''].join('\n');

export interface IfcfgGuest {
  readonly lab: Lab;
  readonly mac: string;
  /** A drive for the subnet, stating the nameserver DHCPv6 also hands out (as on Neutron). */
  readonly drive: string;
}

/** The guest brought up as initscripts would from cloud-init's ifcfg-eth0 (plus `extra` lines); its link-local address is usable. */
export async function ifcfgGuest(mode: LabMode, mac: string, { onTestFinished }: TestContext, extra: readonly string[] = []): Promise<IfcfgGuest> {
  // DHCPv6-stateful as Neutron serves it: the port's fixed IP (the drive's address) for this MAC.
  const lab = await Lab.create({ mode, ipv4: false, guestMac: mac, dhcp6FixedAddress: STATEFUL_ADDRESS });
  onTestFinished(() => lab.destroy());
  const scripts = join(lab.guestRoot, NETWORK_SCRIPTS);
  mkdirSync(scripts, { recursive: true });
  // initscripts is detected by this file; the seed's enabled networking.service (an ifupdown image) goes.
  writeFileSync(join(scripts, 'network-functions'), '# initscripts network-functions (stand-in: nothing here sources it)\n');
  rmSync(join(lab.guestRoot, 'etc/systemd/system/multi-user.target.wants/networking.service'));
  writeFileSync(join(scripts, 'ifcfg-eth0'), cloudInitIfcfg(mac) + extra.map((l) => `${l}\n`).join(''));
  writeFileSync(join(lab.guestRoot, 'etc/os-release'), 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\n');
  writeFileSync(join(lab.guestRoot, 'etc/resolv.conf'), '# from the image\n');
  mkdirSync(join(lab.dir, 'varlib/dhclient'));
  await linkUp(lab);
  return { lab, mac, drive: writeLabDrive(join(lab.dir, 'drive'), { mode, ipv4: false, mac, dns: DHCP6_DNS }) };
}

/** `v6agent apply --stack ifcfg` live in the guest, as `runcmd` runs it. */
export async function applyIfcfg(g: IfcfgGuest, ...args: string[]): Promise<string> {
  const r = await g.lab.inGuest([BIN, 'apply', '--config-drive', g.drive, '--stack', 'ifcfg', '--iface', `${g.mac}=eth0`, ...args], 90_000);
  return r.stdout;
}
