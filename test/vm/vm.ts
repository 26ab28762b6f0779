/**
 * One VM boot against a Neutron-like router: QEMU runs inside the lab's router
 * namespace with its NIC on a tap in the lab bridge (radvd and dnsmasq per
 * mode), the config drive made exactly as nova makes it, and the guest's
 * report read back from its second serial port.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Lab, type LabMode } from '../lab/lab.js';
import { writeLabDrive } from '../lab/drive.js';
import { MetadataServer, type LoggedRequest } from '../lab/metadata-server.js';
import type { Rootfs } from './image.js';

export const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH7v6agentVMtestKEYxxxxxxxxxxxxxxxxxxxxxxxxxxx v6agent-vm-test';
const TAP = 'vmtap0';

export interface VmCase {
  readonly name: string;
  readonly mode: LabMode;
  /** The subnet's nameserver on the drive (default: the lab's DRIVE_DNS). */
  readonly dns?: string;
  readonly ipv4: boolean;
  /**
   * nova's default: an iso9660 on an IDE cdrom; or vfat on a virtio disk
   * (config_drive_format=vfat); or no drive at all, the instance served by the
   * lab's metadata server at fe80::a9fe:a9fe, `on-link` (a port of its own)
   * or `routed` (the router takes it, radvd announces the route).
   */
  readonly drive: 'iso9660' | 'vfat' | { readonly metadata: 'on-link' | 'routed' };
  readonly mac: string;
  /** The subnet on this 802.1Q VLAN of the NIC (a trunk port: test/vm/vlan-trunk.py); the NIC itself has no network. */
  readonly vlan?: number;
  /**
   * An active-backup bond of NICs with these MACs (each on a tap of its own in the lab bridge), as
   * nova's Ironic driver writes a port group: a phy link per member, and the port's link turned into
   * the bond, with `mac` (the port's) as its ethernet_mac_address and the networks on it.
   */
  readonly bond?: { readonly members: readonly string[] };
}

export interface GuestReport {
  /** Guest uptime (s) when a global address was non-tentative and a default route existed. */
  readonly ready: number | undefined;
  readonly addr: { ifname: string; address: string; link?: string; master?: string; addr_info: { family: string; local: string; prefixlen: number; scope: string; temporary?: boolean; tentative?: boolean; dynamic?: boolean }[] }[];
  readonly route6: { dst: string; gateway?: string; dev: string; protocol?: string }[];
  readonly route4: { dst: string; gateway?: string; dev: string }[];
  readonly resolv: string;
  readonly hostname: string;
  /** Guest uptime (s) when the host name first changed; undefined if it never did. */
  readonly hostnameSet: number | undefined;
  readonly keys: string;
  readonly unit: Record<string, string>;
  readonly journal: string;
  readonly ps: string;
  /** UDP sockets on the DHCPv6 client port (546) and their processes: a DHCPv6 client of any stack, in-process ones too. */
  readonly dhcp6Clients: string;
  readonly sysctl: string;
  readonly failed: string;
  readonly instanceId: string;
  /** The network files of every stack (ENI, netplan, networkd, NetworkManager), each line prefixed with its file name. */
  readonly networkFiles: string;
  /** `resolvectl dns` (systemd-resolved images). */
  readonly resolved: string;
  /** Whether networking.service, systemd-networkd.service, NetworkManager.service are active, one per line. */
  readonly stack: string;
  /** `ip -j -d link`: bond mode, members (master) and their permanent MACs. */
  readonly links: GuestLink[];
}

export interface GuestLink {
  readonly ifname: string;
  readonly address: string;
  /** Shown when the current MAC differs (a bond member carries the bond's). */
  readonly permaddr?: string;
  readonly master?: string;
  readonly linkinfo?: { info_kind?: string; info_data?: { mode?: string }; info_slave_kind?: string; info_slave_data?: { state?: string; perm_hwaddr?: string } };
}

export interface BootResult {
  readonly report: GuestReport;
  readonly wallMs: number;
  readonly lab: Lab;
  readonly console: string;
  /** What the metadata server answered, for a case without a drive. */
  readonly metadataRequests: readonly LoggedRequest[];
}

/** KVM where it really works (vCPUs can be created), else TCG. */
export function accelerator(): 'kvm' | 'tcg' {
  if (process.env.V6AGENT_VM_ACCEL === 'tcg' || !existsSync('/dev/kvm')) return 'tcg';
  const r = spawnSync('qemu-system-x86_64', ['-accel', 'kvm', '-M', 'pc', '-cpu', 'host', '-nodefaults', '-display', 'none', '-S', '-monitor', 'stdio'], { input: 'quit\n', timeout: 15_000, stdio: ['pipe', 'ignore', 'ignore'] });
  return r.status === 0 ? 'kvm' : 'tcg';
}

const instanceUuid = (c: VmCase): string => `00000000-0000-4000-8000-${c.mac.replace(/:/g, '')}`;

function novaMetaData(c: VmCase): object {
  return { uuid: instanceUuid(c), name: `vm-${c.name}`, hostname: `vm-${c.name}.novalocal`, public_keys: { 'vm-test': SSH_KEY }, keys: [{ name: 'vm-test', type: 'ssh', data: SSH_KEY }] };
}

/** The instance's meta_data.json and network_data.json, as a drive tree. */
function instanceTree(c: VmCase, dir: string): string {
  const tree = writeLabDrive(join(dir, 'drive'), { mode: c.mode, ipv4: c.ipv4, mac: c.mac, ...(c.dns ? { dns: c.dns } : {}) });
  writeFileSync(join(tree, 'openstack/latest/meta_data.json'), JSON.stringify(novaMetaData(c)));
  if (c.vlan !== undefined) {
    // As nova writes a trunk's subport: a vlan link on the physical one, with the networks on the vlan.
    const file = join(tree, 'openstack/latest/network_data.json');
    const nd = JSON.parse(readFileSync(file, 'utf8')) as { links: object[]; networks: { link: string }[] };
    nd.links = [
      { id: 'tap0', type: 'phy', ethernet_mac_address: c.mac, mtu: null },
      { id: 'vlan0', type: 'vlan', vlan_link: 'tap0', vlan_id: c.vlan, vlan_mac_address: c.mac, mtu: null },
    ];
    for (const n of nd.networks) n.link = 'vlan0';
    writeFileSync(file, JSON.stringify(nd));
  }
  if (c.bond) {
    // nova/virt/ironic/driver.py _get_network_metadata: the port's link becomes the bond (the port group's
    // address, else Neutron's MAC), its properties bond_*, and each member port a phy link named by its uuid.
    const file = join(tree, 'openstack/latest/network_data.json');
    const nd = JSON.parse(readFileSync(file, 'utf8')) as { links: object[] };
    const members = c.bond.members.map((mac, i) => ({ id: `b0d00000-0000-4000-8000-00000000000${i}`, type: 'phy', ethernet_mac_address: mac }));
    nd.links = [
      { id: 'tap0', vif_id: `0b0d0000-0000-4000-8000-${c.mac.replace(/:/g, '')}`, type: 'bond', mtu: null, ethernet_mac_address: c.mac, bond_mode: 'active-backup', bond_miimon: '100', bond_links: members.map((m) => m.id) },
      ...members,
    ];
    writeFileSync(file, JSON.stringify(nd));
  }
  return tree;
}

const TRUNK = 'test/vm/vlan-trunk.py';
const TRUNK_PORT = 47001;
const QEMU_PORT = 47002;

/** The VLAN case's trunk port, in the router namespace; resolves once it listens. */
async function startTrunk(lab: Lab, vid: number): Promise<ChildProcess> {
  execFileSync('ip', ['-n', lab.router, 'link', 'set', 'lo', 'up']);
  const child = spawn('ip', ['netns', 'exec', lab.router, 'python3', TRUNK, TAP, String(vid), String(TRUNK_PORT), String(QEMU_PORT)], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`${TRUNK} exited ${code}: ${err.trim()}`)));
    child.stdout!.once('data', () => resolve());
  });
  child.stdout!.resume();
  return child;
}

/** The drive as nova's configdrive.py makes it: genisoimage with these exact flags, or mkfs.vfat -n config-2 + copy. */
function makeDrive(c: VmCase & { drive: 'iso9660' | 'vfat' }, dir: string): string {
  const tree = instanceTree(c, dir);
  if (c.drive === 'iso9660') {
    const iso = join(dir, 'cd.iso');
    execFileSync('genisoimage', ['-o', iso, '-ldots', '-allow-lowercase', '-input-charset', 'utf-8', '-l', '-J', '-r', '-V', 'config-2', tree], { stdio: 'pipe' });
    return iso;
  }
  const img = join(dir, 'disk.config');
  execFileSync('mkfs.vfat', ['-C', '-n', 'config-2', img, String(64 * 1024)], { stdio: 'pipe' });
  execFileSync('mcopy', ['-s', '-i', img, ...readdirSync(tree).map((f) => join(tree, f)), '::/'], { stdio: 'pipe' });
  return img;
}

function parseReport(text: string): GuestReport {
  const sections = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.replace(/\r/g, '').split('\n')) {
    const m = /^=== (\S+)$/.exec(line);
    if (m) current = m[1];
    else if (current) sections.set(current, `${sections.get(current) ?? ''}${line}\n`);
  }
  if (!text.includes('=== end')) throw new Error(`incomplete guest report:\n${text}`);
  const get = (k: string): string => (sections.get(k) ?? '').trim();
  const ready = Number(get('ready'));
  return {
    ready: Number.isFinite(ready) && get('ready') !== 'none' ? ready : undefined,
    addr: JSON.parse(get('addr') || '[]'),
    route6: JSON.parse(get('route6') || '[]'),
    route4: JSON.parse(get('route4') || '[]'),
    resolv: get('resolv'),
    hostname: get('hostname'),
    hostnameSet: get('hostname-set') === 'none' ? undefined : Number(get('hostname-set')),
    keys: get('keys'),
    unit: Object.fromEntries(get('unit').split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])),
    journal: get('journal'),
    ps: get('ps'),
    dhcp6Clients: get('dhcp6-clients'),
    sysctl: get('sysctl'),
    failed: get('failed'),
    instanceId: get('instance-id'),
    networkFiles: get('network-files'),
    resolved: get('resolved'),
    stack: get('stack'),
    links: JSON.parse(get('links') || '[]'),
  };
}

/** Boot the image once for `c`; the lab is left for the caller to inspect and destroy. */
export async function bootVm(c: VmCase, rootfs: Rootfs, accel: 'kvm' | 'tcg', timeoutMs: number): Promise<BootResult> {
  const served = typeof c.drive === 'object' ? c.drive.metadata : undefined;
  // One tap and virtio NIC per MAC: the bond's members, else the port's own.
  const nics = (c.bond?.members ?? [c.mac]).map((mac, i) => ({ mac, tap: i === 0 ? TAP : `vmtap${i}` }));
  const lab = await Lab.create({ mode: c.mode, ipv4: c.ipv4, guestMac: 'fa:16:3e:00:00:fe', tap: nics.map((n) => n.tap), mtu: c.mode === 'static' ? undefined : 1450, metadataRoute: served !== 'on-link' });
  let server: MetadataServer | undefined;
  let trunk: ChildProcess | undefined;
  try {
    const dir = join(lab.dir, 'vm');
    mkdirSync(dir);
    let driveArgs: string[] = [];
    if (served) {
      const latest = join(instanceTree(c, dir), 'openstack/latest');
      const read = (f: string): Record<string, unknown> => JSON.parse(readFileSync(join(latest, f), 'utf8'));
      server = await MetadataServer.start(lab, { ipv6: served, instances: [{ mac: c.mac, meta: read('meta_data.json'), network: read('network_data.json') }] });
    } else {
      const drive = makeDrive({ ...c, drive: c.drive as 'iso9660' | 'vfat' }, dir);
      driveArgs = c.drive === 'iso9660' ? ['-drive', `file=${drive},media=cdrom,if=ide,readonly=on`] : ['-drive', `file=${drive},if=virtio,format=raw,readonly=on`];
    }
    if (c.vlan !== undefined) trunk = await startTrunk(lab, c.vlan);
    const netdev = (n: (typeof nics)[number], i: number): string =>
      trunk ? `socket,id=n0,udp=127.0.0.1:${TRUNK_PORT},localaddr=127.0.0.1:${QEMU_PORT}` : `tap,id=n${i},ifname=${n.tap},script=no,downscript=no`;
    const consoleLog = join(dir, 'console.log');
    const reportLog = join(dir, 'report.log');
    const args = [
      'netns', 'exec', lab.router, 'qemu-system-x86_64',
      '-accel', accel, '-M', 'pc', '-cpu', accel === 'kvm' ? 'host' : 'max', '-smp', '2', '-m', '1024',
      '-nodefaults', '-display', 'none', '-no-reboot',
      '-kernel', rootfs.vmlinux, '-initrd', rootfs.initrd,
      // No kvm module in the guest (TCG's emulated SVM makes it load for nothing); quiet console.
      '-append', 'root=/dev/vda rw console=ttyS0 quiet panic=-1 module_blacklist=kvm,kvm_amd,kvm_intel',
      // What nova's libvirt driver puts in SMBIOS (cloud-init's ds-identify looks for it).
      '-smbios', `type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova,family=Virtual Machine,uuid=${instanceUuid(c)}`,
      '-drive', `file=${rootfs.image},if=virtio,format=raw,snapshot=on`,
      ...driveArgs,
      ...nics.flatMap((n, i) => ['-netdev', netdev(n, i), '-device', `virtio-net-pci,netdev=n${i},mac=${n.mac}`]),
      '-serial', `file:${consoleLog}`, '-serial', `file:${reportLog}`,
    ];
    const t0 = performance.now();
    const qemu = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    qemu.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      qemu.on('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    const wallMs = performance.now() - t0;
    server?.stop();
    trunk?.kill();
    const consoleText = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '';
    // V6AGENT_VM_KEEP=DIR keeps each case's serial console and report, for a look at a slow or failed boot.
    const keep = process.env.V6AGENT_VM_KEEP;
    if (keep) for (const f of [consoleLog, reportLog]) if (existsSync(f)) copyFileSync(f, join(keep, `${c.name}-${basename(f)}`));
    if (!exited) {
      if (qemu.pid) process.kill(qemu.pid, 'SIGKILL');
      throw new Error(`VM ${c.name} did not power off within ${timeoutMs / 1000} s; console tail:\n${consoleText.slice(-3000)}`);
    }
    if (!existsSync(reportLog)) throw new Error(`VM ${c.name}: no report (qemu: ${stderr.trim()}); console tail:\n${consoleText.slice(-3000)}`);
    return { report: parseReport(readFileSync(reportLog, 'utf8')), wallMs, lab, console: consoleText, metadataRequests: server?.requests ?? [] };
  } catch (e) {
    server?.stop();
    trunk?.kill();
    await lab.destroy();
    throw e;
  }
}
