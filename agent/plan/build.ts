/**
 * Model → plan: every file's full new content, every live sysctl, every action.
 * A pure function of the Instance and the Target facts; nothing here touches
 * the system, which is what makes --dry-run, --root and idempotency cheap.
 */
import type { Warnings } from '../errors.js';
import type { Instance } from '../model/instance.js';
import type { FileToRead, Target } from '../sources/target.js';
import type { Plan } from './types.js';
import { kernelHandlesRa, networkRenderer } from '../../distro/registry.js';
import { renderDns } from '../../distro/resolv.js';
import { renderDhclientHook } from '../../distro/dhclient.js';
import { renderSysctls } from '../../distro/sysctl.js';
import { renderHostname } from '../../distro/hostname.js';
import { authorizedKeysPath, homeOf, keyUser, renderAuthorizedKeys, validHome } from '../../distro/keys.js';

/** Existing files whose current text the plan builds on (appends to) rather than replaces. */
export function filesToRead(instance: Instance, target: Target): FileToRead[] {
  const files: FileToRead[] = [{ path: '/etc/network/interfaces' }];
  for (const user of new Set(instance.sshKeys.map((k) => k.user))) {
    const entry = keyUser(target, user);
    if (entry && validHome(entry)) files.push({ path: authorizedKeysPath(entry.home), home: homeOf(entry), owner: { uid: entry.uid, gid: entry.gid } });
  }
  return files;
}

export function buildPlan(instance: Instance, target: Target, warnings: Warnings): Plan {
  const notes: string[] = [];
  const network = networkRenderer(target.stack)(instance, target, warnings);
  notes.push(...network.notes);
  const dns = renderDns(instance, target);
  notes.push(...dns.notes);
  const kernelRa = kernelHandlesRa(target.stack);
  const sysctl = renderSysctls(instance, target, kernelRa);
  const daemon = target.stack === 'netplan' ? `netplan's backend (${target.netplan?.renderer ?? 'networkd'})` : target.stack;
  if (!kernelRa && instance.interfaces.some((i) => i.ipv6)) notes.push(`${daemon} handles RAs itself and rewrites the per-link IPv6 sysctls: EUI-64 and no privacy addresses are set in its own configuration; the sysctl drop-in keeps only use_tempaddr and addr_gen_mode (for the time before it takes a link over) and nothing is set live`);
  const host = renderHostname(instance);
  const keys = renderAuthorizedKeys(instance, target, warnings);
  notes.push(...keys.notes);
  const files = [...network.files, ...dns.files, ...renderDhclientHook(instance, target).files, ...sysctl.files, ...host.files, ...keys.files];
  // Byte order, not localeCompare: that loads ICU collation data, ~12 ms at boot.
  return { files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), removals: network.removals, sysctls: sysctl.sysctls, actions: host.actions, notes };
}
