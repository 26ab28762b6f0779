/**
 * Whether the lab can run here, installing its Debian packages when root.
 * Under CI=true a missing prerequisite fails the run; elsewhere, the lab is
 * skipped with one line saying why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { sweepStaleLabs } from './processes.js';

const TOOLS = ['ip', 'radvd', 'dnsmasq', 'ifup', 'ifdown', 'dhclient', 'sysctl', 'rdisc6', 'genisoimage', 'mkfs.vfat', 'losetup', 'unshare', 'nmcli', 'NetworkManager', 'dbus-daemon', 'tcpdump', 'netplan', '/lib/systemd/systemd-networkd'];

function missingTools(): string[] {
  return TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0);
}

/** Undefined when the lab can run; otherwise the reason it cannot. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the netns lab needs root (network namespaces, mounts)';
  if (missingTools().length > 0) {
    try {
      execFileSync('bash', ['test/lab/prereqs.sh'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
    } catch (e) {
      return `installing the lab's Debian packages failed: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  const still = missingTools();
  if (still.length > 0) return `missing ${still.join(', ')}`;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return '`ip netns` does not work here';
  }
  sweepStaleLabs();
  return undefined;
}

/** Decide once per file: run, skip with a line (developer machine), or fail (CI). */
export function labGate(): { run: boolean } {
  const reason = labUnavailable();
  if (!reason) return { run: true };
  if (process.env.CI === 'true') throw new Error(`lab prerequisites missing under CI: ${reason}`);
  console.log(`lab tests skipped: ${reason}`);
  return { run: false };
}
