/**
 * Live, v6agent's own netplan file may hold the definition of an interface the
 * drive no longer describes (its link's MAC matches no NIC, or the link is
 * gone) while the NIC is still here: rewriting the file without it would take
 * that NIC's working configuration away at the next `netplan generate`. Such
 * definitions are carried over, byte for byte, into the same section, with a
 * warning; under --root (no live NICs) nothing is kept. As distro/eniKeep.ts
 * does for ENI stanzas and networkmanager-takeover.ts for NM profiles.
 *
 * Our file is our template's layout: `  <section>:` at two spaces, `    <id>:`
 * at four, the definition's keys deeper; so blocks are cut by indentation.
 */
import type { Warnings } from '../agent/errors.js';

export interface NetplanBlock {
  /** `ethernets`, `bonds`, `vlans`… */
  readonly section: string;
  readonly id: string;
  /** The interface it configures: `set-name:`, else `match: name:` without a glob, else the ID. */
  readonly name: string;
  /** The ID line and every deeper line under it, as written. */
  readonly lines: readonly string[];
}

/** `"eth0"` or `eth0` → eth0 (our template quotes values as JSON strings). */
function scalar(text: string): string {
  const t = text.trim();
  if (t.startsWith('"')) {
    try {
      return String(JSON.parse(t));
    } catch {
      return t;
    }
  }
  return t;
}

/** The device definitions of a netplan file as v6agent's template writes it. */
export function netplanBlocks(text: string): NetplanBlock[] {
  const blocks: { section: string; id: string; lines: string[] }[] = [];
  let section: string | undefined;
  let current: { section: string; id: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    const sec = /^ {2}([a-z-]+):\s*$/.exec(line);
    const dev = /^ {4}("(?:[^"\\]|\\.)*"|[^\s:#][^:]*):\s*$/.exec(line);
    if (sec) {
      section = sec[1];
      current = undefined;
    } else if (dev && section) {
      current = { section, id: scalar(dev[1]!), lines: [line] };
      blocks.push(current);
    } else if (current && /^ {6,}\S/.test(line)) {
      current.lines.push(line);
    } else if (!/^\s*$/.test(line)) {
      // A comment or another key: the block ends; a line left of the IDs ends the section too.
      current = undefined;
      if (!/^ {4}/.test(line)) section = undefined;
    }
  }
  return blocks.map((b) => ({ ...b, name: interfaceOf(b.lines, b.id) }));
}

function interfaceOf(lines: readonly string[], id: string): string {
  const setName = lines.map((l) => /^ {6}set-name:\s*(.+)$/.exec(l)?.[1]).find((v) => v !== undefined);
  if (setName) return scalar(setName);
  const matchName = lines.map((l) => /^ {8}name:\s*(.+)$/.exec(l)?.[1]).find((v) => v !== undefined);
  if (matchName && !/[*?[]/.test(scalar(matchName))) return scalar(matchName);
  return id;
}

/**
 * The definitions of the previous file to write again, by section: those of
 * NICs present here (`present`, live only) that the model lacks. An ID the new
 * file uses is never repeated (netplan would merge the two).
 */
export function keptDefinitions(previous: string | undefined, ours: ReadonlySet<string>, ids: ReadonlySet<string>, present: ReadonlySet<string> | undefined, file: string, warnings: Warnings): Map<string, string[]> {
  const kept = new Map<string, string[]>();
  if (previous === undefined || present === undefined) return kept;
  for (const b of netplanBlocks(previous)) {
    if (ours.has(b.name) || !present.has(b.name)) continue;
    if (ids.has(b.id)) {
      warnings.add(file, `the earlier definition ${b.id} of ${b.name} is not kept: ${b.id} is now the ID of an interface the drive describes`);
      continue;
    }
    warnings.add(file, `kept the earlier definition for ${b.name}: the drive does not describe it, and the NIC is still here`);
    const lines = kept.get(b.section) ?? [];
    lines.push(`    # Kept from an earlier run: the drive does not describe ${b.name}, which is still here.`, ...b.lines);
    kept.set(b.section, lines);
  }
  return kept;
}
