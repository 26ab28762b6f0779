/**
 * The plan's shape: what renderers return and what apply commits. A leaf
 * module: renderers, the planner and the writer all import it; it imports
 * nothing of theirs.
 */

/** The network configuration systems v6agent can write for. */
export const STACKS = ['eni', 'ifcfg', 'netplan', 'networkmanager', 'networkd'] as const;
export type Stack = (typeof STACKS)[number];

export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

export interface PlannedFile {
  /** Absolute path as seen inside the target (`/etc/hosts`), never with the root prefix. */
  readonly path: string;
  /** Text (written as UTF-8), or bytes kept exactly (a file built on one that is not UTF-8). */
  readonly content: string | Uint8Array;
  readonly mode: number;
  readonly owner?: Owner;
  /** Mode and owner for the directory, if it has to be created (e.g. ~/.ssh). */
  readonly dir?: { readonly mode: number; readonly owner?: Owner };
  /**
   * The home directory (target terms) of `owner` this file lives under: it is
   * then read and written only through directories that user owns, never
   * following a symlink, so the user cannot point it elsewhere.
   */
  readonly home?: string;
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

/** What a network renderer returns: the same shape for each format. */
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
