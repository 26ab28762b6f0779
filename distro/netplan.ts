/**
 * netplan: /etc/netplan/90-v6agent.yaml, mode 0600 (netplan warns about
 * anything readable by others; cloud-init writes 0600 too). netplan then
 * generates the configuration of its backend: networkd (default) or
 * NetworkManager.
 *
 * - Device IDs of existing files are reused: netplan merges a later file into
 *   an earlier definition only under the same ID; a new ID matching the same
 *   NIC becomes a second generated file that loses to the first
 *   (50-cloud-init.yaml) without a word.
 * - Dynamic modes: dhcp6 + accept-ra true (the backend follows the RA's M/O
 *   flags for DHCPv6), eui64 address generation, no privacy; static:
 *   accept-ra false, addresses and routes. dhcp4/dhcp6/accept-ra are always
 *   written, so they override what an earlier file under the same ID said.
 * - NetworkManager backend gaps, worked around rather than emulated: it
 *   ignores accept-ra (NM's method auto follows RAs anyway, manual ignores
 *   them: the same result); it gives IPv6-only NICs ipv4.method=link-local,
 *   so those get a passthrough `ipv4.method: disabled`; and
 *   `ipv6-address-generation` without dhcp6 or addresses makes an invalid
 *   method=manual profile, so it is only written with one of them. NM's own
 *   fallback profiles get the NetworkManager stack's conf.d EUI-64 defaults.
 */
import type { Warnings } from '../agent/errors.js';
import type { Instance, Interface } from '../agent/model/instance.js';
import { hasStaticAddress } from '../agent/model/modes.js';
import type { NetworkPlan } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { bondOptions } from './bondOptions.js';
import { nmDefaultsFile } from './networkmanager.js';
import { NETPLAN_PATH } from './netplanFiles.js';
import { cloudInitFilesToRemove, deviceIds, takeOverNetplan } from './netplanTakeover.js';
import { keptDefinitions } from './netplanKeep.js';
import { stackRoutes } from './routes.js';
import { modeSummary } from './summary.js';
import { render, type Context } from './template.js';
import template from '../templates/netplan.yaml.tmpl';

const q = (s: string | number): string => (typeof s === 'number' ? String(s) : JSON.stringify(s));
const yamlKey = (id: string): string => (/^[A-Za-z0-9_.-]+$/.test(id) ? id : JSON.stringify(id));
const flow = (items: readonly (string | number)[]): string => `[${items.map(q).join(', ')}]`;

export function renderNetplan(instance: Instance, target: Target, warnings: Warnings): NetworkPlan {
  const removed = cloudInitFilesToRemove(instance, target);
  const ids = deviceIds(instance, target, removed, warnings);
  // The merged renderer: a per-device one on a definition we merge into wins over the global one.
  const nmBackend = (i: Interface): boolean => {
    const own = (target.netplan?.devices ?? []).filter((d) => d.id === ids.get(i.name) && d.renderer && !removed.includes(d.file)).pop()?.renderer;
    return (own ?? target.netplan?.renderer) === 'NetworkManager';
  };
  // Live, our earlier definitions of NICs still here that the drive no longer describes stay (netplanKeep.ts).
  const kept = keptDefinitions(target.netplan?.own, new Set(instance.interfaces.map((i) => i.name)), new Set(ids.values()), target.liveInterfaces, NETPLAN_PATH, warnings);
  const section = (type: string, kind: Interface['kind']['type']) => {
    const items = instance.interfaces.filter((i) => i.kind.type === kind).map((i) => deviceContext(i, instance, ids, nmBackend(i), warnings));
    const keep = kept.get(type) ?? [];
    return items.length || keep.length ? [{ type, items, kept: keep }] : [];
  };
  const ctx: Context = {
    devices: instance.interfaces.map((i) => ({ name: i.name, summary: modeSummary(i) })),
    sections: [...section('ethernets', 'physical'), ...section('bonds', 'bond'), ...section('vlans', 'vlan')],
  };
  const takeOver = takeOverNetplan(instance, target, removed, ids, warnings);
  const notes = [...takeOver.notes];
  if (target.netplan && target.live) {
    // `netplan apply` on the NetworkManager backend disconnects every device: never advise it there.
    const byHand = target.netplan.renderer === 'NetworkManager' ? '`netplan generate`, `nmcli connection load` and `nmcli device reapply`' : '`netplan generate`, `networkctl reload` and `networkctl reconfigure`';
    notes.push(`netplan drives ${target.netplan.renderer}: a live apply runs ${byHand} for ${NETPLAN_PATH} (with --no-reload: run them yourself, or reboot)`);
  }
  // NM makes its own profiles for ports netplan leaves out; they follow conf.d's defaults (stable-privacy otherwise).
  const nmDefaults = instance.interfaces.some(nmBackend) ? [nmDefaultsFile()] : [];
  return { files: [{ path: NETPLAN_PATH, content: render(template, ctx), mode: 0o600 }, ...nmDefaults, ...takeOver.files], removals: takeOver.removals, notes };
}

function deviceContext(iface: Interface, instance: Instance, ids: ReadonlyMap<string, string>, nmBackend: boolean, warnings: Warnings): Context {
  const v4 = iface.ipv4;
  const v6 = iface.ipv6;
  const member = iface.bondMaster !== undefined;
  const k = iface.kind;
  const static6 = v6 !== undefined && hasStaticAddress(v6.mode);
  const addresses = [...(v4?.method === 'static' ? v4.addresses : []), ...(v6 && static6 ? v6.addresses : [])].map((a) => q(`${a.address}/${a.prefix}`));
  const routes = stackRoutes(iface).map((r) => ({ to: r.destination ? q(r.destination) : 'default', via: q(r.gateway), onlink: r.onLink ? 'true' : undefined }));
  const l3 = !member && (v4 !== undefined || v6 !== undefined);
  const { nameservers, search } = instance.dns;
  const id = (name: string): string => ids.get(name) ?? name;
  return {
    id: yamlKey(id(iface.name)),
    match: k.type === 'physical' && iface.mac ? [{ mac: q(iface.mac) }] : [],
    set_name: k.type === 'physical' && iface.mac ? q(iface.name) : undefined,
    vlan_id: k.type === 'vlan' ? k.id : undefined,
    vlan_link: k.type === 'vlan' ? yamlKey(id(k.raw)) : undefined,
    members: k.type === 'bond' ? `[${k.slaves.map((s) => yamlKey(id(s))).join(', ')}]` : undefined,
    // The drive's MAC for the bond (the port's): without it networkd gives the bond one of its own (systemd.netdev MACAddress=).
    bond_mac: k.type === 'bond' && iface.mac ? q(iface.mac) : undefined,
    parameters: k.type === 'bond' ? [{ mode: q(k.mode), options: bondOptions(k.options, 'netplan', iface.name, warnings).map(([key, value]) => `${key}: ${q(value)}`) }] : [],
    mtu: iface.mtu,
    dhcp4: member ? undefined : v4?.method === 'dhcp' ? 'true' : 'false',
    // Every dynamic mode: the backend runs DHCPv6 only as the RA's M/O flags say.
    dhcp6: member ? undefined : v6 && !static6 ? 'true' : 'false',
    accept_ra: member ? undefined : v6 ? (static6 ? 'false' : 'true') : undefined,
    link_local: member ? '[]' : v6 ? '[ ipv6 ]' : undefined,
    addr_gen: v6 && !member ? 'eui64' : undefined,
    privacy: v6 && !member ? 'false' : undefined,
    has_addresses: addresses.length ? [{}] : [],
    addresses,
    routes: routes.length ? [{ list: routes }] : [],
    nameservers: l3 && nameservers.length ? [{ servers: flow(nameservers), search: search.length ? flow(search) : undefined }] : [],
    nm: nmBackend && v6 && !v4 && !member ? [{}] : [],
  };
}
