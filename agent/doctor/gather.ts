/**
 * Facts, gathered once: netlink (links, addresses, routes), /proc/sys, running
 * daemons, the routers (kernel flags, else one Router Solicitation), the
 * drive's instance, resolv.conf and the stack's files under the root.
 * Everything that reads the system for doctor is here; checks only read Facts.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { ExitCode, V6Error, Warnings } from '../errors.js';
import { readAddresses, readLinks, readRoutes } from '../facts/netlink.js';
import { sshSessions } from '../facts/sshSessions.js';
import { readProcesses } from '../facts/processes.js';
import { readIpv6Conf } from '../facts/sysctl.js';
import { interfaceNames, loadInstance } from '../load.js';
import type { Instance } from '../model/instance.js';
import { interfaceName } from '../model/names.js';
import { resolveInRoot } from '../apply/rootPath.js';
import { MiB, readText } from '../sources/files.js';
import { inRoot, resolvOwner } from '../sources/target.js';
import type { Facts, FileFact, InterfaceFacts, LiveFacts } from './types.js';
import type { MetadataAnswer } from './metadataProbe.js';
import { SYSCTL_DIRS } from './checks/sysctlFiles.js';
import { detectStack } from '../../distro/stack.js';
import type { Stack } from '../plan/types.js';

export interface GatherOptions {
  readonly ifaces: readonly string[];
  /** Undefined: live. */
  readonly root: string | undefined;
  readonly configDrive: string | undefined;
  /** Ask routers on the wire where the kernel has not processed an RA (live, root only). */
  readonly probe: boolean;
  readonly probeTimeoutMs: number;
  /** Check as if there were no config drive: ask the IPv6 metadata service instead. */
  readonly noConfigDrive?: boolean;
  /** The network stack instead of the detected one (--stack). */
  readonly stack?: Stack;
}

const FILE_DIRS = [
  '/etc/NetworkManager/system-connections',
  '/etc/NetworkManager/conf.d',
  '/etc/netplan',
  '/etc/systemd/network',
  '/run/systemd/network',
  '/etc/sysconfig/network-scripts',
  '/etc/network/interfaces.d',
  '/etc/cloud/cloud.cfg.d',
  ...SYSCTL_DIRS,
];
const FILES = ['/etc/NetworkManager/NetworkManager.conf', '/etc/network/interfaces', '/etc/sysctl.conf', '/etc/docker/daemon.json', '/etc/cloud/cloud.cfg'];

function readFileFact(root: string, path: string): FileFact | undefined {
  try {
    const host = resolveInRoot(root, path);
    const st = statSync(host);
    if (!st.isFile()) return undefined;
    const text = readText(host, MiB);
    return text === undefined ? undefined : { path, text, mode: st.mode & 0o7777, uid: st.uid };
  } catch {
    return undefined;
  }
}

const NETWORKD_DIRS = ['/etc/systemd/network', '/run/systemd/network'];

function listDir(root: string, dir: string): string[] {
  try {
    return readdirSync(resolveInRoot(root, dir)).sort();
  } catch {
    return [];
  }
}

/** The regular files directly in `dir` (subdirectories and unreadable entries left out). */
function readDir(root: string, dir: string): FileFact[] {
  return listDir(root, dir).map((n) => readFileFact(root, `${dir}/${n}`)).filter((f): f is FileFact => f !== undefined);
}

export function readStackFiles(root: string): FileFact[] {
  const out: FileFact[] = [];
  for (const dir of FILE_DIRS) {
    out.push(...readDir(root, dir));
    // networkd drop-ins (NAME.network.d/*.conf) override the .network file they are named after.
    if (!NETWORKD_DIRS.includes(dir)) continue;
    for (const d of listDir(root, dir).filter((n) => n.endsWith('.network.d'))) out.push(...readDir(root, `${dir}/${d}`).filter((f) => f.path.endsWith('.conf')));
  }
  for (const p of FILES) {
    const f = readFileFact(root, p);
    if (f) out.push(f);
  }
  return out;
}

function readResolv(root: string): Facts['resolv'] {
  const text = readFileFact(root, '/etc/resolv.conf')?.text;
  let exists = text !== undefined;
  try {
    lstatSync(inRoot(root, '/etc/resolv.conf'));
    exists = true;
  } catch {
    // absent
  }
  if (!exists) return undefined;
  const nameservers = (text ?? '').split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((n): n is string => !!n);
  return { owner: resolvOwner(root), nameservers, ours: /Written by v6agent/.test(text ?? '') };
}

async function readDeclared(opts: GatherOptions, live: boolean): Promise<{ instance: Instance | undefined; note: string }> {
  // An image tree's drive is not this machine's: under --root, only a drive named with --config-drive.
  if (!live && opts.configDrive === undefined) return { instance: undefined, note: 'no --config-drive given' };
  if (opts.noConfigDrive) return { instance: undefined, note: '--no-config-drive' };
  const names = interfaceNames(new Map(), { sysfs: live, fallback: !live });
  try {
    const instance = await loadInstance(opts.configDrive, names, new Warnings());
    return { instance, note: instance.source };
  } catch (e) {
    // A drive the user named must be readable; an absent one only means fewer checks.
    if (opts.configDrive !== undefined) throw new V6Error(`cannot run: ${(e as Error).message}`, ExitCode.usage);
    return { instance: undefined, note: (e as Error).message };
  }
}

async function readLive(opts: GatherOptions, askMetadata: boolean): Promise<LiveFacts> {
  let links;
  try {
    links = readLinks();
  } catch (e) {
    throw new V6Error(`cannot run: reading interfaces over netlink failed: ${(e as Error).message}`, ExitCode.usage);
  }
  for (const name of opts.ifaces) {
    if (!interfaceName(name)) throw new V6Error(`${JSON.stringify(name)} is not an interface name`, ExitCode.usage);
    if (!links.some((l) => l.name === name)) throw new V6Error(`${name}: no such interface with IPv6`, ExitCode.usage);
  }
  const chosen = opts.ifaces.length ? links.filter((l) => opts.ifaces.includes(l.name)) : links.filter((l) => l.up && !l.loopback);
  const names = new Map(links.map((l) => [l.index, l.name]));
  const addresses = readAddresses(names);
  const routes = readRoutes(names);
  const ra = new Map<string, InterfaceFacts['ra']>();
  if (chosen.length) {
    // Loaded here: the wire code is only needed live.
    const { observeRouters } = await import('../commands/ra.js');
    for (const r of observeRouters({ ifaces: chosen.map((l) => l.name), missing: 'skip', timeoutMs: opts.probeTimeoutMs, wire: false, probe: opts.probe, kernelFacts: false })) {
      // Without the wire, "no answer" only means the kernel has nothing to say: no finding either way.
      if (opts.probe || r.source !== 'none') ra.set(r.name, r);
    }
  }
  const metadata = new Map<string, MetadataAnswer>();
  if (askMetadata) {
    const { probeMetadata } = await import('./metadataProbe.js');
    const up = chosen.filter((l) => addresses.some((a) => a.iface === l.name && a.family === 6 && a.scope === 253));
    const answers = await Promise.all(up.map((l) => probeMetadata(l.name, Math.min(opts.probeTimeoutMs, 2000))));
    up.forEach((l, n) => metadata.set(l.name, answers[n]!));
  }
  return {
    interfaces: chosen.map((link) => ({ link, conf: readIpv6Conf(link.name), addresses: addresses.filter((a) => a.iface === link.name), ra: ra.get(link.name), metadata: metadata.get(link.name) })),
    routes,
    ipv4Addresses: addresses.filter((a) => a.family === 4 && !a.address.startsWith('127.')).length,
    daemons: readProcesses()
      .map((p) => p.argv)
      .filter((argv) => /(^|\/)(dhclient|dhcpcd|odhcp6c|dhcp6c|NetworkManager|systemd-networkd|systemd-resolved)$/.test(argv[0] ?? '')),
    sshAddresses: sshSessions().addresses,
  };
}

export async function gatherFacts(opts: GatherOptions): Promise<Facts> {
  const live = opts.root === undefined;
  const root = opts.root ?? '/';
  const declared = await readDeclared(opts, live);
  return {
    root,
    stack: opts.stack ?? (await detectStack(root, live).then((c) => c.stack, () => undefined)),
    // With no config drive, the metadata service is where the instance comes from: ask it (live, when probing).
    live: live ? await readLive(opts, opts.probe && declared.instance === undefined) : undefined,
    declared: declared.instance,
    declaredNote: declared.note,
    resolv: readResolv(root),
    files: readStackFiles(root),
  };
}
