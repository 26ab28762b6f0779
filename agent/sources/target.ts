/**
 * Read-only facts about the system we render for (the live one, or an image
 * tree under --root) that the plan depends on. Nothing here writes.
 */
import { existsSync, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { V6Error, ExitCode, type Warnings } from '../errors.js';
import { type Distro, detectDistro, distroByCloudUser, distroByName } from '../../distro/detect.js';
import { MiB, readBytes, readText } from './files.js';
import { readSysctl } from '../facts/sysctl.js';
import { resolveInRoot } from '../apply/rootPath.js';
import { STACKS, type Owner, type Stack } from '../plan/types.js';
import { closeDir, openUserDir, OsError, readAt, Unsafe } from '../apply/dirFd.js';
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
  /** Current bytes of files whose new content depends on the old (keys, ENI main file); undefined if absent. */
  readonly existing: ReadonlyMap<string, Uint8Array | undefined>;
  /** Files under a home that is not safe to touch (path → why): v6agent leaves them alone. */
  readonly unsafe: ReadonlyMap<string, string>;
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

/** `warnings` hears of a distro guessed because os-release names none (possible only with `--stack`). */
export async function readTarget(root: string, live: boolean, distroName: string | undefined, stackName?: string, warnings?: Warnings): Promise<Target> {
  const passwd = parsePasswd(safeRead(inRoot(root, '/etc/passwd')) ?? '');
  const distro = distroName ? distroByName(distroName) : detect(root, stackName !== undefined, passwd, warnings);
  const { stack, evidence, netplan } = await chooseStack(root, live, stackName);
  return {
    root,
    live,
    distro,
    stack,
    stackEvidence: evidence,
    resolvOwner: resolvOwner(root),
    forwarding: live && readSysctl('net/ipv6/conf/all/forwarding') === '1',
    passwd,
    existing: new Map(),
    unsafe: new Map(),
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

const SOURCE_DIRECTORY_NAME = /^[a-zA-Z0-9_-]+$/;

/**
 * Whether ifupdown reads `name` in interfaces.d, given the main file's text:
 * `source …/*` is a shell glob, which skips dot files (editor leftovers, our
 * temp files); `source-directory` reads only names matching ^[a-zA-Z0-9_-]+$
 * (interfaces(5)). With no main file, v6agent writes the glob form.
 */
export function ifupdownReads(name: string, main: string | undefined): boolean {
  const glob = main === undefined || /^\s*source\s+\S*interfaces\.d\/\*\s*$/m.test(main) || !/^\s*source-directory\s/m.test(main);
  return glob ? !name.startsWith('.') : SOURCE_DIRECTORY_NAME.test(name);
}

/**
 * The fragments ifupdown reads, as latin-1 text (any encoding scans, nothing
 * is lost). Symlinks are passed over, as in readConfigDir: a fragment may be
 * backed up and removed, and a link could point at a file some user owns.
 */
function readFragments(root: string): Map<string, string> {
  const mainBytes = readBytes(resolveInRoot(root, '/etc/network/interfaces'), MiB);
  const main = mainBytes && latin1(mainBytes);
  const out = new Map<string, string>();
  const dir = resolveInRoot(root, ENI_DIR);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names.filter((n) => ifupdownReads(n, main)).sort()) {
    const host = join(dir, name);
    try {
      if (!lstatSync(host).isFile()) continue;
    } catch {
      continue; // gone since the listing
    }
    const bytes = readBytes(host, MiB);
    if (bytes !== undefined) out.set(`${ENI_DIR}/${name}`, latin1(bytes));
  }
  return out;
}

/** Bytes as text one char per byte: scanning works on any encoding, and nothing is lost. */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** A file whose new content depends on its old bytes; `home` and `owner` when it lives under a user's home. */
export interface FileToRead {
  readonly path: string;
  readonly home?: string;
  readonly owner?: Owner;
}

/**
 * The target with the current bytes of `files` added. A system file that
 * exists but cannot be read is an error naming it; a file under a home is
 * read only through directories its user owns, and one that is not safe to
 * touch is listed in `unsafe` instead.
 */
export function withExistingFiles(target: Target, files: readonly FileToRead[]): Target {
  const existing = new Map(target.existing);
  const unsafe = new Map(target.unsafe);
  for (const f of files) {
    if (f.home === undefined || f.owner === undefined) {
      existing.set(f.path, readBytes(resolveInRoot(target.root, f.path), MiB));
      continue;
    }
    try {
      existing.set(f.path, readUserFile(target.root, f.path, f.home, f.owner));
    } catch (e) {
      if (!(e instanceof Unsafe || e instanceof OsError)) throw e;
      unsafe.set(f.path, e.message);
    }
  }
  return { ...target, existing, unsafe };
}

function readUserFile(root: string, path: string, home: string, owner: Owner): Uint8Array | undefined {
  const dir = openUserDir(root, posix.dirname(path), home, owner, undefined, []);
  try {
    return dir && readAt(dir, posix.basename(path), MiB, owner)?.bytes;
  } finally {
    closeDir(dir);
  }
}

/**
 * The distro from os-release. Without one that names a distro, `--stack` has
 * already said what to write, and the distro decides only the cloud user: it
 * is guessed from /etc/passwd, with a warning. Without `--stack` either, the
 * tree may not be an image at all: exit 3.
 */
function detect(root: string, stackGiven: boolean, passwd: readonly PasswdEntry[], warnings: Warnings | undefined): Distro {
  const path = inRoot(root, '/etc/os-release');
  const text = safeRead(path) ?? safeRead(inRoot(root, '/usr/lib/os-release'));
  const distro = text === undefined ? undefined : detectDistro(text);
  if (distro) return distro;
  const why = text === undefined ? 'missing' : 'names no distro v6agent knows';
  if (!stackGiven) throw new V6Error(`cannot tell the distro from ${path} (${why}); pass --distro, or --stack to render without it`, ExitCode.badInput, { file: path });
  const guessed = distroByCloudUser(passwd.map((p) => p.name));
  const user = passwd.some((p) => p.name === guessed.defaultUser) ? `its cloud user ${guessed.defaultUser} is in /etc/passwd` : 'no distro\'s cloud user is in /etc/passwd, so SSH keys go to root';
  warnings?.add(path, `${why}; taking the distro as ${guessed.name} (${user}); pass --distro to choose`);
  return guessed;
}

function safeRead(path: string): string | undefined {
  try {
    return readText(path, MiB);
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
