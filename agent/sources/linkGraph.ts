/**
 * Checks on network_data.json's links as a graph: VLANs and bonds name other
 * links, which must exist and must not lead back to themselves (a VLAN cycle
 * once overflowed the stack); two physical links cannot share a MAC (they
 * would become two conflicting stanzas for one NIC); and a link that carries
 * IPv6 cannot have an MTU below IPv6's minimum of 1280 (RFC 8200 section 5:
 * the kernel removes IPv6 from such a link).
 */
import { IPV6_MIN_MTU } from '../model/addr.js';
import type { FieldReader } from './fields.js';

/** The parts of networkData.ts's links and networks these checks read (no import back: no cycle). */
interface DriveLink {
  readonly id: string;
  readonly kind: { readonly type: 'physical' } | { readonly type: 'vlan'; readonly rawLink: string } | { readonly type: 'bond'; readonly memberLinks: readonly string[] };
  readonly mac: string | undefined;
  readonly mtu: number | undefined;
}
interface DriveNetwork {
  readonly family: 4 | 6;
  readonly link: string;
}

/** The links each link stacks on: a VLAN's raw link, a bond's members. */
function parentsOf(l: DriveLink): readonly string[] {
  if (l.kind.type === 'vlan') return [l.kind.rawLink];
  if (l.kind.type === 'bond') return l.kind.memberLinks;
  return [];
}

function fieldOf(l: DriveLink): string {
  return l.kind.type === 'vlan' ? 'vlan_link' : 'bond_links';
}

/** Unique ids, known references, no cycles, no duplicate physical MACs. Returns the ids. */
export function checkLinkGraph(f: FieldReader, links: readonly DriveLink[]): Set<string> {
  const index = new Map<string, number>();
  for (const [i, l] of links.entries()) {
    if (index.has(l.id)) throw f.error(`links[${i}].id`, `duplicate link id ${JSON.stringify(l.id)}`);
    index.set(l.id, i);
  }
  for (const [i, l] of links.entries()) {
    for (const p of parentsOf(l)) {
      if (!index.has(p)) throw f.error(`links[${i}].${fieldOf(l)}`, `unknown link ${JSON.stringify(p)}`);
      if (p === l.id) throw f.error(`links[${i}].${fieldOf(l)}`, `link ${JSON.stringify(l.id)} refers to itself`);
    }
  }
  // Depth-first with an explicit stack (no recursion: a long chain must not overflow either).
  const state = new Map<string, 'open' | 'done'>();
  for (const start of links) {
    if (state.has(start.id)) continue;
    const path: string[] = [];
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    state.set(start.id, 'open');
    path.push(start.id);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const parents = parentsOf(links[index.get(top.id)!]!);
      if (top.next >= parents.length) {
        state.set(top.id, 'done');
        stack.pop();
        path.pop();
        continue;
      }
      const p = parents[top.next++]!;
      if (state.get(p) === 'open') {
        const cycle = [...path.slice(path.indexOf(p)), p];
        const i = index.get(top.id)!;
        throw f.error(`links[${i}].${fieldOf(links[i]!)}`, `links refer to each other in a cycle: ${cycle.map((c) => JSON.stringify(c)).join(' → ')}`);
      }
      if (state.has(p)) continue;
      state.set(p, 'open');
      path.push(p);
      stack.push({ id: p, next: 0 });
    }
  }
  // One link in two bonds (or twice in one) would get two conflicting `bond-master` settings.
  const bondOf = new Map<string, string>();
  for (const [i, l] of links.entries()) {
    if (l.kind.type !== 'bond') continue;
    for (const m of l.kind.memberLinks) {
      const other = bondOf.get(m);
      if (other !== undefined) throw f.error(`links[${i}].bond_links`, `link ${JSON.stringify(m)} is a member of bond ${JSON.stringify(other)}${other === l.id ? ' twice' : ` and of bond ${JSON.stringify(l.id)}`}`);
      bondOf.set(m, l.id);
    }
  }
  const byMac = new Map<string, number>();
  for (const [i, l] of links.entries()) {
    if (l.kind.type !== 'physical' || !l.mac) continue;
    const first = byMac.get(l.mac);
    if (first !== undefined) {
      throw f.error(`links[${i}].ethernet_mac_address`, `MAC ${l.mac} of link ${JSON.stringify(l.id)} is also that of link ${JSON.stringify(links[first]!.id)}: one NIC cannot be two links`);
    }
    byMac.set(l.mac, i);
  }
  return new Set(index.keys());
}

/** A link with IPv6 on it, or under a VLAN or bond with IPv6, needs MTU ≥ 1280. */
export function checkLinkMtus(f: FieldReader, links: readonly DriveLink[], networks: readonly DriveNetwork[], mtuField: (linkIndex: number) => string): void {
  const byId = new Map(links.map((l, i) => [l.id, { l, i }]));
  const needs = new Map<string, string>(); // link id → the link whose IPv6 needs it
  const todo = networks.filter((n) => n.family === 6).map((n) => [n.link, n.link] as const);
  while (todo.length) {
    const [id, because] = todo.pop()!;
    if (needs.has(id)) continue;
    needs.set(id, because);
    for (const p of parentsOf(byId.get(id)!.l)) todo.push([p, because]);
  }
  for (const [id, because] of needs) {
    const { l, i } = byId.get(id)!;
    if (l.mtu !== undefined && l.mtu < IPV6_MIN_MTU) {
      const why = because === id ? 'it carries IPv6' : `link ${JSON.stringify(because)} on it carries IPv6`;
      throw f.error(mtuField(i), `${l.mtu} is below ${IPV6_MIN_MTU}, the IPv6 minimum, and ${why}`);
    }
  }
}
