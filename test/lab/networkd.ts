/**
 * systemd-networkd in a lab guest, without systemd as PID 1 (recipe and why
 * in README "The lab"): its own mount namespace with a private /run (the
 * lab's run dir, so the test reads networkd's state files from outside),
 * /etc/systemd/network bound to the config under test, and /sys read-only so
 * networkd does not wait for a udev that is not there (udev_available() in
 * systemd's udev-util.c is "/sys is writable"). networkd runs without D-Bus
 * and we read its state files; only `networkctl reload`/`reconfigure` need
 * its bus API (org.freedesktop.network1), so `bus: true` starts a private
 * system bus whose socket is in that private /run (networkd waits for it:
 * bus_open_system_watch_bind).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Lab } from './lab.js';
import { waitFor } from './guest.js';
import { busConf } from './bus.js';

export const NETWORKD = '/lib/systemd/systemd-networkd';

export interface Networkd {
  readonly process: ChildProcess;
  /** networkd's per-link state (`/run/systemd/netif/links/<ifindex>`), parsed; what resolved reads. */
  linkState(): Promise<Record<string, string>>;
  log(): string;
  stop(): void;
}

/**
 * Start networkd in the guest. `etcNetwork`: directory shown as /etc/systemd/network;
 * `runNetwork`: files to place in /run/systemd/network (netplan's output).
 */
/** A directory to be networkd's /run: the state dirs it expects, owned by the user it drops to. */
export function prepareRun(run: string): void {
  chmodSync(run, 0o755);
  for (const d of ['systemd/netif/links', 'systemd/netif/leases', 'systemd/netif/lldp', 'systemd/network']) mkdirSync(join(run, d), { recursive: true });
  const uid = Number(execFileSync('id', ['-u', 'systemd-network'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'systemd-network'], { encoding: 'utf8' }).trim());
  for (const d of ['systemd/netif', 'systemd/netif/links', 'systemd/netif/leases', 'systemd/netif/lldp']) chownSync(join(run, d), uid, gid);
}

/**
 * Spawn networkd in namespace `ns` with its own mounts. Nothing forks between us and it
 * (ip netns exec, unshare and sh all exec), so the child's pid is networkd's.
 */
export function spawnNetworkd(ns: string, run: string, etcNetwork: string, stdio: ('ignore' | 'pipe' | number)[]): ChildProcess {
  const setup = [`mount -n --bind ${run} /run`, `mount -n --bind ${etcNetwork} /etc/systemd/network`, 'mount -n -o remount,bind,ro /sys', 'exec "$@"'].join(' && ');
  return spawn('ip', ['netns', 'exec', ns, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', setup, 'sh', NETWORKD], {
    stdio: stdio as never,
    env: { ...process.env, SYSTEMD_LOG_LEVEL: 'debug', SYSTEMD_LOG_TARGET: 'console' },
  });
}

/** A private system bus in the guest, its socket in `run`/dbus (networkd drops to systemd-network). */
async function startBus(lab: Lab, run: string): Promise<ChildProcess> {
  mkdirSync(join(run, 'dbus'), { recursive: true });
  const conf = join(lab.dir, 'networkd-bus.conf');
  writeFileSync(conf, busConf(['root', 'systemd-network']));
  const setup = `mount -n --bind ${run} /run && exec dbus-daemon --config-file=${conf} --nofork --nopidfile`;
  // ip netns exec → unshare → sh → dbus-daemon all exec: the child's pid is the bus's.
  const bus = spawn('ip', ['netns', 'exec', lab.guest, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', setup], { stdio: 'ignore' });
  await waitFor('the guest bus socket', async () => existsSync(join(run, 'dbus/system_bus_socket')), (x) => x, 10_000);
  return bus;
}

export async function startNetworkd(lab: Lab, opts: { etcNetwork: string; runNetwork?: string; bus?: boolean }): Promise<Networkd> {
  const run = join(lab.dir, 'run');
  prepareRun(run);
  const bus = opts.bus ? await startBus(lab, run) : undefined;
  if (opts.runNetwork) execFileSync('cp', ['-a', `${opts.runNetwork}/.`, join(run, 'systemd/network')]);
  const logPath = join(lab.dir, 'networkd.log');
  const log = openSync(logPath, 'a');
  const child = spawnNetworkd(lab.guest, run, opts.etcNetwork, ['ignore', log, log]);
  const ifindex = async (): Promise<number> => ((await lab.guestJson(['link', 'show', 'dev', 'eth0'])) as { ifindex: number }[])[0]!.ifindex;
  const index = await ifindex();
  const statePath = join(run, 'systemd/netif/links', String(index));
  return {
    process: child,
    async linkState() {
      if (!existsSync(statePath)) return {};
      const out: Record<string, string> = {};
      for (const line of readFileSync(statePath, 'utf8').split('\n')) {
        const m = /^([A-Z_0-9]+)=(.*)$/.exec(line);
        if (m) out[m[1]!] = m[2]!;
      }
      return out;
    },
    log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      if (bus && bus.exitCode === null) bus.kill('SIGTERM');
    },
  };
}

/** Wait until networkd says the link is configured (it applied a .network and finished its requests). */
export async function configured(nd: Networkd, timeoutMs = 30_000): Promise<Record<string, string>> {
  return waitFor('networkd to configure eth0', () => nd.linkState(), (s) => s.ADMIN_STATE === 'configured', timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message}\n--- networkd log (tail) ---\n${nd.log().split('\n').slice(-40).join('\n')}`);
  });
}

/** Files netplan generated under ROOT/run/systemd/network. */
export function generatedFiles(root: string): string[] {
  const dir = join(root, 'run/systemd/network');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
