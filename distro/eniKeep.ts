/**
 * Live, v6agent's own ENI file may hold stanzas for an interface the drive no
 * longer describes (its link's MAC matches no NIC, or the link is gone) while
 * the NIC is still here: rewriting the file without them would take that NIC's
 * working configuration away at the next boot. Such stanzas are carried over,
 * byte for byte, with a warning; under --root (no live NICs) nothing is kept.
 */
import type { Warnings } from '../agent/errors.js';

/** The `auto`/`allow-*` lines and `iface` stanzas (with their indented options) of each interface. */
export function eniBlocks(text: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const head = /^(auto|allow-\S+|iface)\s+(\S+)/.exec(line);
    if (head) {
      // `auto a b` may name several interfaces; ours always writes one per line.
      const name = head[2]!;
      current = blocks.get(name) ?? [];
      blocks.set(name, current);
      current.push(line);
      if (head[1] !== 'iface') current = undefined;
    } else if (current && /^\s+\S/.test(line)) {
      current.push(line);
    } else {
      current = undefined;
    }
  }
  return blocks;
}

/** Text to append to the new file: the old stanzas of NICs present here that the model lacks. */
export function keptStanzas(previous: string | undefined, ours: ReadonlySet<string>, present: ReadonlySet<string> | undefined, file: string, warnings: Warnings): string {
  if (previous === undefined || present === undefined) return '';
  const kept: string[] = [];
  for (const [name, lines] of eniBlocks(previous)) {
    if (name === 'lo' || ours.has(name) || !present.has(name)) continue;
    warnings.add(file, `kept the earlier stanza for ${name}: the drive does not describe it, and the NIC is still here`);
    kept.push(`\n# Kept from an earlier run: the drive does not describe ${name}, which is still here.\n${lines.join('\n')}\n`);
  }
  return kept.join('');
}
