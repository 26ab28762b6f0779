/**
 * The real NetworkManager (Debian 12: 1.42) in a lab guest, without systemd
 * or the host's D-Bus: `NetworkManager --debug` and a private dbus-daemon in
 * a mount namespace of their own inside the guest's network namespace, with
 *
 *   /run                       the lab's run dir, which lab.inGuest also mounts there (the bus
 *                              socket, NM's state, its resolv.conf): guest commands reach NM
 *   /etc                       the host's, overlaid by the guest root's etc (what v6agent wrote;
 *                              NM's /etc/resolv.conf lands there)
 *   /etc/NetworkManager        exactly the guest root's (no host profiles or conf.d)
 *   /usr/lib/NetworkManager/conf.d, /var/lib/NetworkManager   private, empty
 *   /sys                       read-only: NM then does without udev (nm-linux-platform.c:
 *                              use_udev = initial netns && /sys writable), else the port stays unmanaged
 *
 * The bus config allows root only and activates no services, so nothing but
 * the two processes we start runs; both die with the lab's namespace.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Lab } from './lab.js';
import { waitFor } from './guest.js';

const run = promisify(execFile);

const BUS_CONF = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=/run/dbus/system_bus_socket</listen>
 <auth>EXTERNAL</auth><policy context="default"><allow user="root"/><allow own="*"/>
 <allow send_destination="*"/><allow receive_sender="*"/></policy></busconfig>
`;

/**
 * The image's own NetworkManager.conf, as a distro ships it, minus what needs
 * a full system: no ifupdown/ifcfg plugin, NM's internal DHCP client, resolv.conf
 * written as a file, no host name or polkit.
 */
export const LAB_NM_CONF = '[main]\nplugins=keyfile\ndhcp=internal\nrc-manager=file\nhostname-mode=none\nauth-polkit=false\n';

/** Put the image's NetworkManager.conf into the guest root, before v6agent renders into it. */
export function seedNmImage(lab: Lab): void {
  mkdirSync(join(lab.guestRoot, 'etc/NetworkManager'), { recursive: true });
  writeFileSync(join(lab.guestRoot, 'etc/NetworkManager/NetworkManager.conf'), LAB_NM_CONF);
}

export class NmGuest {
  private constructor(
    private readonly lab: Lab,
    readonly pid: number,
    readonly log: string,
    readonly startedAt: number,
  ) {}

  /** Start NetworkManager in the guest on the files under lab.guestRoot/etc. */
  static async start(lab: Lab): Promise<NmGuest> {
    const dir = join(lab.dir, 'nm');
    for (const d of ['empty', 'etcwork']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'bus.conf'), BUS_CONF);
    const log = join(dir, 'NetworkManager.log');
    const etc = join(lab.guestRoot, 'etc');
    const script = [
      'set -e',
      // The lab's /run, as every guest command sees it: nmcli there (doctor --fix) reaches this bus.
      `mount --bind ${lab.dir}/run /run`,
      'mkdir -p /run/dbus',
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${etc},workdir=${dir}/etcwork /etc`,
      `mount --bind ${etc}/NetworkManager /etc/NetworkManager`,
      `if [ -d /usr/lib/NetworkManager/conf.d ]; then mount --bind ${dir}/empty /usr/lib/NetworkManager/conf.d; fi`,
      'mkdir -p /var/lib/NetworkManager && mount -t tmpfs -o mode=700 tmpfs /var/lib/NetworkManager',
      'mount -o remount,bind,ro /sys',
      `dbus-daemon --config-file=${dir}/bus.conf --nofork --nopidfile &`,
      'i=0; until [ -S /run/dbus/system_bus_socket ]; do i=$((i+1)); [ $i -lt 100 ] || exit 9; sleep 0.05; done',
      'exec NetworkManager --debug',
    ].join('\n');
    const out = openSync(log, 'a');
    const t0 = performance.now();
    // Every exec keeps the PID: ip netns exec → unshare (no --fork) → sh → NetworkManager.
    const child = spawn('ip', ['netns', 'exec', lab.guest, 'unshare', '--mount', '--propagation', 'private', '--uts', 'sh', '-c', script], { stdio: ['ignore', out, out] });
    const nm = new NmGuest(lab, child.pid!, log, t0);
    await waitFor('NetworkManager on its private bus', () => nm.nmcli(['-t', '-f', 'RUNNING', 'general']).catch(() => ''), (s) => s.trim() === 'running', 20_000);
    return nm;
  }

  /** nmcli in NetworkManager's namespaces (its private /run holds the bus). */
  async nmcli(args: readonly string[]): Promise<string> {
    const { stdout } = await run('nsenter', ['-t', String(this.pid), '-m', '-n', 'nmcli', ...args], { timeout: 10_000 });
    return stdout;
  }

  /**
   * Run a command as on the guest, next to NetworkManager: its mount, network and UTS
   * namespaces (its bus in /run, /etc overlaid by the guest root's), plus the guest's
   * own /root, /home and /var/lib bound over the host's in a mount namespace of its own
   * — what a live `v6agent apply` from cloud-init's runcmd sees.
   */
  async inNm(argv: readonly string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
    const varlib = join(this.lab.dir, 'varlib');
    mkdirSync(varlib, { recursive: true });
    const setup = [...['/root', '/home'].map((t) => `mount -n --bind ${this.lab.guestRoot}${t} ${t}`), `mount -n --bind ${varlib} /var/lib`, 'exec "$@"'].join(' && ');
    return run('nsenter', ['-t', String(this.pid), '-m', '-n', '-u', 'unshare', '-m', '--propagation', 'private', 'sh', '-c', setup, 'sh', ...argv], { timeout: timeoutMs, killSignal: 'SIGKILL' });
  }

  /** `nmcli -g` of one device's fields, one value per field. */
  async device(fields: string, iface = 'eth0'): Promise<string[]> {
    return (await this.nmcli(['-g', fields, 'device', 'show', iface])).trimEnd().split('\n');
  }

  /** Wait until the port is activated ("100 (connected)"); returns ms since NetworkManager was started. */
  async connected(timeoutMs = 30_000): Promise<number> {
    await waitFor('eth0 connected', () => this.device('GENERAL.STATE').catch(() => ['']), (s) => s[0] === '100 (connected)', timeoutMs);
    return performance.now() - this.startedAt;
  }

  /** The Ethernet profiles NetworkManager has (1.42 also shows an in-memory one for lo). */
  async profiles(): Promise<{ name: string; uuid: string; device: string }[]> {
    const out = await this.nmcli(['-t', '-f', 'NAME,UUID,TYPE,DEVICE', 'connection', 'show']);
    return out.trimEnd().split('\n').filter(Boolean).flatMap((l) => {
      const [name, uuid, type, device] = l.split(/(?<!\\):/);
      return type === '802-3-ethernet' ? [{ name: name!.replace(/\\:/g, ':'), uuid: uuid!, device: device ?? '' }] : [];
    });
  }

  logText(): string {
    return readFileSync(this.log, 'utf8');
  }

  /** NetworkManager's own resolv.conf (rc-manager=file also writes /etc/resolv.conf). */
  async resolvConf(): Promise<string> {
    const { stdout } = await run('nsenter', ['-t', String(this.pid), '-m', 'cat', '/run/NetworkManager/resolv.conf']);
    return stdout;
  }
}
