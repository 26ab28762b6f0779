/**
 * Read-only facts about the system we render for (the live one, or an image
 * tree under --root) that the plan depends on. Nothing here writes.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { V6Error, ExitCode } from '../errors.js';
import { type Distro, detectDistro, distroByName } from '../../distro/detect.js';
import { MiB, readText } from './files.js';
import { resolveInRoot } from '../apply/rootPath.js';
import { STACKS, type Stack } from '../plan/types.js';
import { readConfigDir, readNmProfiles } from './configDir.js';
import { detectStack, type StackChoice } from '../../distro/stack.js';
import { readNetplanFiles, type NetplanFiles } from '../../distro/netplanFiles.js';

/** Who writes /etc/resolv.conf, and so through whom DNS must be configured. */
export type ResolvOwner = 'file' | 'systemd-resolved' | 'resolvconf' | 'NetworkManager';

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export interface Target {
  /** `/` live, or the image tree. */
  readonly root: string;
  readonly live: boolean;
  readonly distro: Distro;
  /** The network configuration system the plan writes for, and why it was chosen. */
  readonly stack: Stack;
  readonly stackEvidence: readonly string[];
  readonly resolvOwner: ResolvOwner;
  /** IPv6 forwarding on: the kernel then needs accept_ra=2 to still accept RAs. */
  readonly forwarding: boolean;
  readonly passwd: readonly PasswdEntry[];
  /** Current text of files whose new content depends on the old (keys, ENI main file). */
  readonly existing: ReadonlyMap<string, string | undefined>;
  /** Other files in /etc/network/interfaces.d (path → text): they may configure our interfaces too. */
  readonly eniFragments: ReadonlyMap<string, string>;
  /** NetworkManager's keyfiles and ifcfg files (path → text), when rendering for it: some may configure our interfaces. */
  readonly nmProfiles: ReadonlyMap<string, string>;
  /** cloud-init is installed in this root (it has /etc/cloud). */
  readonly cloudInit: boolean;
  /** Live: the interfaces this machine has now (/sys/class/net); undefined for an image. */
  readonly liveInterfaces?: ReadonlySet<string> | undefined;
  /** The netplan YAML already there (device IDs to reuse, backend), when the stack is netplan. */
  readonly netplan: NetplanFiles | undefined;
  /** Files in /etc/systemd/network (path → text), when the stack is networkd. */
  readonly networkdFiles: ReadonlyMap<string, string>;
}

export function inRoot(root: string, path: string): string {
  return root === '/' ? path : join(root, path);
}

export async function readTarget(root: string, live: boolean, distroName: string | undefined, stackName?: string): Promise<Target> {
  const distro = distroName ? distroByName(distroName) : detect(root);
  const { stack, evidence, netplan } = await chooseStack(root, live, stackName);
  return {
    root,
    live,
    distro,
    stack,
    stackEvidence: evidence,
    resolvOwner: resolvOwner(root),
    forwarding: live && readSysctl('/proc/sys/net/ipv6/conf/all/forwarding') === '1',
    passwd: parsePasswd(safeRead(inRoot(root, '/etc/passwd')) ?? ''),
    existing: new Map(),
    eniFragments: stack === 'eni' ? readFragments(root) : new Map(),
    liveInterfaces: live ? liveInterfaces() : undefined,
    nmProfiles: stack === 'networkmanager' ? readNmProfiles(root) : new Map(),
    cloudInit: existsSync(inRoot(root, '/etc/cloud')),
    netplan: stack === 'netplan' ? (netplan ?? (await readNetplanFiles(root))) : undefined,
    networkdFiles: stack === 'networkd' ? readConfigDir(root, NETWORKD_DIR, () => true) : new Map(),
  };
}

/** `--stack` wins; otherwise what the target runs (distro/stack.ts). */
async function chooseStack(root: string, live: boolean, stackName: string | undefined): Promise<StackChoice> {
  if (stackName !== undefined) {
    if (!(STACKS as readonly string[]).includes(stackName)) throw new V6Error(`--stack ${stackName}: unknown; use one of ${STACKS.join(', ')}`, ExitCode.usage);
    return { stack: stackName as Stack, evidence: [`--stack ${stackName}`] };
  }
  return detectStack(root, live);
}

const NETWORKD_DIR = '/etc/systemd/network';

const ENI_DIR = '/etc/network/interfaces.d';

function liveInterfaces(sysClassNet = '/sys/class/net'): Set<string> {
  try {
    return new Set(readdirSync(sysClassNet));
  } catch {
    return new Set();
  }
}

function readFragments(root: string): Map<string, string> {
  return readConfigDir(root, ENI_DIR, () => true);
}

/** The target with the current text of `paths` (resolved inside the root) added. */
export function withExistingFiles(target: Target, paths: readonly string[]): Target {
  const existing = new Map(target.existing);
  for (const path of paths) existing.set(path, safeRead(resolveInRoot(target.root, path)));
  return { ...target, existing };
}

function detect(root: string): Distro {
  const path = inRoot(root, '/etc/os-release');
  const text = safeRead(path) ?? safeRead(inRoot(root, '/usr/lib/os-release'));
  const distro = text === undefined ? undefined : detectDistro(text);
  if (!distro) throw new V6Error(`cannot tell the distro from ${path}; pass --distro`, ExitCode.badInput);
  return distro;
}

function safeRead(path: string): string | undefined {
  try {
    return readText(path, MiB);
  } catch {
    return undefined;
  }
}

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function resolvOwner(root: string): ResolvOwner {
  const path = inRoot(root, '/etc/resolv.conf');
  try {
    if (lstatSync(path).isSymbolicLink()) {
      const target = readlinkSync(path);
      if (target.includes('systemd/resolve')) return 'systemd-resolved';
      if (target.includes('resolvconf')) return 'resolvconf';
      if (target.includes('NetworkManager')) return 'NetworkManager';
      return 'file';
    }
  } catch {
    return 'file';
  }
  const head = (safeRead(path) ?? '').split('\n').slice(0, 3).join('\n');
  return /Generated by NetworkManager/.test(head) ? 'NetworkManager' : 'file';
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !f[0]) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) out.push({ name: f[0], uid, gid, home: f[5] ?? '/' });
  }
  return out;
}
