/**
 * Model → plan: every file's full new content, every live sysctl, every action.
 * A pure function of the Instance and the Target facts; nothing here touches
 * the system, which is what makes --dry-run, --root and idempotency cheap.
 */
import type { Warnings } from './errors.js';
import type { Instance } from './model/instance.js';
import type { Target } from './sources/target.js';
import { renderEni } from '../distro/eni.js';
import { renderIfcfg } from '../distro/ifcfg.js';
import { renderDns } from '../distro/resolv.js';
import { renderSysctls } from '../distro/sysctl.js';
import { renderHostname } from '../distro/hostname.js';
import { authorizedKeysPath, keyUser, renderAuthorizedKeys } from '../distro/keys.js';

export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

export interface PlannedFile {
  /** Absolute path as seen inside the target (`/etc/hosts`), never with the root prefix. */
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  readonly owner?: Owner;
  /** Mode and owner for the directory, if it has to be created (e.g. ~/.ssh). */
  readonly dir?: { readonly mode: number; readonly owner?: Owner };
}

export interface Sysctl {
  /** sysctl.d key, with `/` separators when an interface name has a dot. */
  readonly key: string;
  /** Path below /proc/sys. */
  readonly proc: string;
  readonly value: string;
}

/** A file to back up and delete: another tool's config for interfaces we now own. */
export interface PlannedRemoval {
  readonly path: string;
  readonly why: string;
}

export type Action = { readonly kind: 'set-hostname'; readonly hostname: string };

/** What a network renderer (ENI, ifcfg) returns: the same shape for each format. */
export interface NetworkPlan {
  readonly files: PlannedFile[];
  readonly removals: PlannedRemoval[];
  readonly notes: string[];
}

export interface Plan {
  readonly files: readonly PlannedFile[];
  readonly removals: readonly PlannedRemoval[];
  readonly sysctls: readonly Sysctl[];
  readonly actions: readonly Action[];
  /** Things the user should know that are not problems (e.g. DNS went through resolved). */
  readonly notes: readonly string[];
}

/** Existing files whose current text the plan builds on (appends to) rather than replaces. */
export function filesToRead(instance: Instance, target: Target): string[] {
  const paths = ['/etc/network/interfaces'];
  for (const user of new Set(instance.sshKeys.map((k) => k.user))) {
    const entry = keyUser(target, user);
    if (entry) paths.push(authorizedKeysPath(entry.home));
  }
  return paths;
}

export function buildPlan(instance: Instance, target: Target, warnings: Warnings): Plan {
  const notes: string[] = [];
  const network = target.distro.format === 'eni' ? renderEni(instance, target, warnings) : renderIfcfg(instance);
  notes.push(...network.notes);
  const dns = renderDns(instance, target);
  notes.push(...dns.notes);
  const sysctl = renderSysctls(instance, target);
  const host = renderHostname(instance);
  const keys = renderAuthorizedKeys(instance, target, warnings);
  notes.push(...keys.notes);
  const files = [...network.files, ...dns.files, ...sysctl.files, ...host.files, ...keys.files];
  // Byte order, not localeCompare: that loads ICU collation data, ~12 ms at boot.
  return { files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), removals: network.removals, sysctls: sysctl.sysctls, actions: host.actions, notes };
}
