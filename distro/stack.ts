/**
 * Which network stack a target runs: a fact of the image (or of the live
 * system), not of its distro name. Debian 12/13 and Ubuntu cloud images run
 * netplan → systemd-networkd and have no ifupdown; EL9 runs NetworkManager
 * (still loading ifcfg files through its ifcfg-rh plugin); EL10 and Fedora ≥ 41
 * run NetworkManager with keyfiles only. Writing for the wrong one means files
 * nothing reads.
 *
 * Offline (--root, or live with nothing running yet) the order is what the image
 * will run at boot: netplan's generator writes the config of the daemon it
 * drives, so netplan with YAML (or with no ifupdown in use) comes first; then an
 * enabled NetworkManager, an enabled systemd-networkd, ifupdown, initscripts.
 * A unit enabled by its WantedBy symlink beats one a preset would enable on
 * first boot. Live, what is running wins.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resolveInRoot } from '../agent/apply/rootPath.js';
import { V6Error, ExitCode } from '../agent/errors.js';
import type { Stack } from '../agent/plan/types.js';
import { globMatch } from './glob.js';
import { readNetplanFiles, type NetplanFiles } from './netplanFiles.js';

export interface StackChoice {
  readonly stack: Stack;
  readonly evidence: readonly string[];
  /** The netplan YAML read on the way, so it is parsed once. */
  readonly netplan?: NetplanFiles;
}

/** Where each piece of evidence is looked for, relative to the root. */
const NETPLAN_BIN = ['/usr/sbin/netplan', '/sbin/netplan'];
const NETPLAN_GENERATOR = ['/usr/lib/systemd/system-generators/netplan', '/lib/systemd/system-generators/netplan'];
const NM_BIN = ['/usr/sbin/NetworkManager', '/sbin/NetworkManager'];
const NETWORKD_BIN = ['/usr/lib/systemd/systemd-networkd', '/lib/systemd/systemd-networkd'];
const IFUP_BIN = ['/usr/sbin/ifup', '/sbin/ifup'];
const ENI_MAIN = '/etc/network/interfaces';
const INITSCRIPTS = '/etc/sysconfig/network-scripts/network-functions';
const NM_LIB_DIRS = ['/usr/lib64/NetworkManager', '/usr/lib/NetworkManager', '/usr/lib/x86_64-linux-gnu/NetworkManager', '/usr/lib/aarch64-linux-gnu/NetworkManager'];
const IFCFG_RH_PLUGIN = 'libnm-settings-plugin-ifcfg-rh.so';
const UNIT_DIRS = ['/etc/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];
const PRESET_DIRS = ['/etc/systemd/system-preset', '/usr/lib/systemd/system-preset', '/lib/systemd/system-preset'];

/** What the error lists when nothing is found. */
export const LOOKED_FOR = [
  `netplan (${[...NETPLAN_BIN, ...NETPLAN_GENERATOR].join(', ')} or /etc/netplan/*.yaml)`,
  `NetworkManager (${NM_BIN.join(', ')}, enabled)`,
  `systemd-networkd (${NETWORKD_BIN.join(', ')}, enabled)`,
  `ifupdown (${IFUP_BIN.join(', ')} + ${ENI_MAIN} + networking.service)`,
  `initscripts ifcfg (${INITSCRIPTS})`,
];

type Enabled = 'symlink' | 'preset' | undefined;

interface Facts {
  readonly netplan: { readonly installed: string | undefined; readonly files: NetplanFiles };
  readonly nm: { readonly installed: string | undefined; readonly enabled: Enabled; readonly ifcfgRh: string | undefined };
  readonly networkd: { readonly installed: string | undefined; readonly enabled: Enabled };
  readonly ifupdown: { readonly installed: string | undefined; readonly interfaces: boolean; readonly unit: boolean; readonly enabled: Enabled };
  readonly initscripts: boolean;
}

export async function detectStack(root: string, live: boolean): Promise<StackChoice> {
  const facts = await readFacts(root);
  if (live) {
    const running = runningStack(facts);
    if (running) return { ...running, netplan: facts.netplan.files };
  }
  const atBoot = bootStack(facts);
  if (!atBoot) throw new V6Error(`no network stack found in ${root}: looked for ${LOOKED_FOR.join('; ')}. Pass --stack eni|ifcfg|netplan|networkmanager|networkd`, ExitCode.badInput);
  const evidence = live ? ['nothing running yet (no NetworkManager pid, no networkd state, no ifupdown state in /run)', ...atBoot.evidence] : atBoot.evidence;
  return { stack: atBoot.stack, evidence, netplan: facts.netplan.files };
}

async function readFacts(root: string): Promise<Facts> {
  // Installed: the daemon's binary, else its unit file (an enablement symlink needs one).
  const nmInstalled = first(root, NM_BIN) ?? unitFile(root, 'NetworkManager.service');
  const networkdInstalled = first(root, NETWORKD_BIN) ?? unitFile(root, 'systemd-networkd.service');
  return {
    netplan: { installed: first(root, [...NETPLAN_GENERATOR, ...NETPLAN_BIN]), files: await readNetplanFiles(root) },
    nm: { installed: nmInstalled, enabled: nmInstalled ? enabled(root, 'NetworkManager.service') : undefined, ifcfgRh: ifcfgRhPlugin(root) },
    networkd: { installed: networkdInstalled, enabled: networkdInstalled ? (enabled(root, 'systemd-networkd.service') ?? enabled(root, 'systemd-networkd.socket')) : undefined },
    ifupdown: { installed: first(root, IFUP_BIN), interfaces: isFile(root, ENI_MAIN), unit: unitFile(root, 'networking.service') !== undefined, enabled: enabled(root, 'networking.service') },
    initscripts: isFile(root, INITSCRIPTS),
  };
}

function bootStack(f: Facts): StackChoice | undefined {
  const nmLine = (): string => `NetworkManager: ${f.nm.installed} enabled by ${f.nm.enabled}${f.nm.ifcfgRh ? `; ifcfg-rh plugin ${f.nm.ifcfgRh} present` : '; no ifcfg-rh plugin (keyfiles only)'}`;
  const ifupdownInUse = f.ifupdown.installed && f.ifupdown.interfaces && f.ifupdown.enabled === 'symlink';
  if (f.netplan.installed || f.netplan.files.paths.length) {
    if (f.netplan.files.paths.length || !ifupdownInUse) return { stack: 'netplan', evidence: netplanEvidence(f) };
  }
  if (f.nm.enabled === 'symlink') return { stack: 'networkmanager', evidence: [nmLine()] };
  if (f.networkd.installed && f.networkd.enabled === 'symlink') return { stack: 'networkd', evidence: [`systemd-networkd: ${f.networkd.installed} enabled by symlink`] };
  if (ifupdownInUse) return { stack: 'eni', evidence: [`ifupdown: ${f.ifupdown.installed}, ${ENI_MAIN}, networking.service enabled`] };
  if (f.initscripts) return { stack: 'ifcfg', evidence: [`initscripts: ${INITSCRIPTS}`] };
  // Units only a first-boot preset would enable, and ifupdown installed but not enabled.
  if (f.nm.enabled === 'preset') return { stack: 'networkmanager', evidence: [nmLine()] };
  if (f.networkd.installed && f.networkd.enabled === 'preset') return { stack: 'networkd', evidence: [`systemd-networkd: ${f.networkd.installed} enabled by preset`] };
  if (f.ifupdown.installed && f.ifupdown.interfaces) return { stack: 'eni', evidence: [`ifupdown: ${f.ifupdown.installed}, ${ENI_MAIN}, networking.service ${f.ifupdown.unit ? 'not enabled' : 'not found'}`] };
  return undefined;
}

function netplanEvidence(f: Facts): string[] {
  const files = f.netplan.files;
  const out = [`netplan: ${f.netplan.installed ?? 'not installed, but'} ${files.paths.length ? `configured by ${files.paths.join(', ')}` : 'no YAML yet'}`];
  out.push(`netplan backend: ${files.renderer}${files.rendererFrom ? ` (renderer: in ${files.rendererFrom})` : ' (default)'}`);
  for (const d of files.devices) if (d.renderer && d.renderer !== files.renderer) out.push(`netplan backend for ${d.id}: ${d.renderer} (renderer: in ${d.file})`);
  return out;
}

/**
 * Live: NetworkManager's pid file, networkd's state in /run/systemd/netif, ifupdown's
 * /run/network/ifstate. All in /run, so a lab guest with a private /run sees its own.
 * netplan drives the daemon when its generated files are in /run.
 */
function runningStack(f: Facts): StackChoice | undefined {
  const nmPid = networkManagerPid();
  const networkd = existsSync('/run/systemd/netif/state') && processNamed('systemd-network');
  const netplanGenerated = listDir('/', '/run/systemd/network').filter((n) => n.startsWith('10-netplan-')).length > 0 || listDir('/', '/run/NetworkManager/system-connections').some((n) => n.startsWith('netplan-'));
  if (netplanGenerated && (nmPid || networkd)) return { stack: 'netplan', evidence: [`running: ${nmPid ? `NetworkManager (pid ${nmPid})` : 'systemd-networkd'} with netplan-generated config in /run`, ...netplanEvidence(f)] };
  if (nmPid) return { stack: 'networkmanager', evidence: [`running: NetworkManager (pid ${nmPid})${f.nm.ifcfgRh ? `; ifcfg-rh plugin ${f.nm.ifcfgRh} present` : ''}`] };
  if (networkd) return { stack: 'networkd', evidence: ['running: systemd-networkd (/run/systemd/netif/state)'] };
  const ifstate = existsSync('/run/network/ifstate') || listDir('/', '/run/network').some((n) => n.startsWith('ifstate.'));
  if (ifstate && f.ifupdown.installed) return { stack: 'eni', evidence: ['running: ifupdown (/run/network/ifstate)'] };
  return undefined;
}

/** The running NetworkManager's pid (its pid file, checked against /proc), if any. */
export const networkManagerPid = (): number | undefined => pidAlive('/run/NetworkManager/NetworkManager.pid', 'NetworkManager');

export function pidAlive(pidFile: string, comm: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) return pid;
  } catch {
    // no pid file or no such process
  }
  return undefined;
}

function processNamed(comm: string): boolean {
  for (const pid of listDir('/', '/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) return true;
    } catch {
      // gone
    }
  }
  return false;
}

/**
 * Enabled = a WantedBy/RequiredBy symlink in /etc/systemd/system/*.wants|*.requires,
 * or failing that, the first preset line matching the unit says `enable`
 * (systemd applies presets on first boot; EL images rely on them).
 */
function enabled(root: string, unit: string): Enabled {
  for (const dir of listDir(root, '/etc/systemd/system')) {
    if ((dir.endsWith('.wants') || dir.endsWith('.requires')) && isLink(root, `/etc/systemd/system/${dir}`, unit)) return 'symlink';
  }
  return presetEnables(root, unit) ? 'preset' : undefined;
}

function presetEnables(root: string, unit: string): boolean {
  // systemd.preset(5): files sorted by name across the dirs, the first in /etc masking same-named ones; first match wins.
  const byName = new Map<string, string>();
  for (const dir of PRESET_DIRS) for (const name of listDir(root, dir)) if (name.endsWith('.preset') && !byName.has(name)) byName.set(name, `${dir}/${name}`);
  for (const name of [...byName.keys()].sort()) {
    const text = readSmall(root, byName.get(name)!) ?? '';
    for (const line of text.split('\n')) {
      const m = /^\s*(enable|disable)\s+(\S+)/.exec(line);
      if (m && globMatch(m[2]!, unit)) return m[1] === 'enable';
    }
  }
  return false;
}

function ifcfgRhPlugin(root: string): string | undefined {
  for (const dir of NM_LIB_DIRS) {
    for (const version of listDir(root, dir)) {
      const path = `${dir}/${version}/${IFCFG_RH_PLUGIN}`;
      if (exists(root, path)) return path;
    }
    if (exists(root, `${dir}/${IFCFG_RH_PLUGIN}`)) return `${dir}/${IFCFG_RH_PLUGIN}`;
  }
  return undefined;
}

function unitFile(root: string, unit: string): string | undefined {
  return first(root, UNIT_DIRS.map((d) => `${d}/${unit}`));
}

function first(root: string, paths: readonly string[]): string | undefined {
  return paths.find((p) => exists(root, p));
}

function exists(root: string, path: string): boolean {
  try {
    return existsSync(resolveInRoot(root, path));
  } catch {
    return false;
  }
}

/** The entry itself, not what it points to: an image's unit symlinks may point at files of another tree. */
function isLink(root: string, dir: string, name: string): boolean {
  try {
    lstatSync(join(resolveInRoot(root, dir), name));
    return true;
  } catch {
    return false;
  }
}

function isFile(root: string, path: string): boolean {
  try {
    return statSync(resolveInRoot(root, path)).isFile();
  } catch {
    return false;
  }
}

export function listDir(root: string, dir: string): string[] {
  try {
    return readdirSync(resolveInRoot(root, dir)).sort();
  } catch {
    return [];
  }
}

function readSmall(root: string, path: string): string | undefined {
  try {
    return readFileSync(resolveInRoot(root, path), 'utf8').slice(0, 65536);
  } catch {
    return undefined;
  }
}
