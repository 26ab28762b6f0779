/**
 * Debian/Ubuntu ifupdown: /etc/network/interfaces.d/50-v6agent (interfaces(5)).
 *
 * ifupdown does not look at RA flags (measured: `dhcp 1` with no DHCPv6 server
 * fails ifup after ~60 s; `inet6 dhcp` with none hangs boot), so the stanza
 * starts a DHCPv6 client exactly when the mode needs one. Routes use iproute2,
 * never net-tools' `route`, which minimal images lack.
 */
import type { Instance, Interface, Ipv6Config, Route } from '../agent/model/instance.js';
import { dhcpv6Client, hasStaticAddress, usesAutoconf } from '../agent/model/modes.js';
import type { Warnings } from '../agent/errors.js';
import type { NetworkPlan, PlannedFile, PlannedRemoval } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { acceptRa } from './sysctl.js';
import { keptStanzas } from './eniKeep.js';
import { modeSummary } from './summary.js';
import { render, type Context } from './template.js';
import template from '../templates/eni.tmpl';
import mainTemplate from '../templates/eni-main.tmpl';
import { disableCloudInitNetwork, writtenByCloudInit } from './cloudInit.js';

export const ENI_PATH = '/etc/network/interfaces.d/50-v6agent';
const MAIN_PATH = '/etc/network/interfaces';

interface Stanza {
  family: 'inet' | 'inet6';
  method: string;
  options: string[];
}

export function renderEni(instance: Instance, target: Target, warnings: Warnings): NetworkPlan {
  const interfaces = instance.interfaces.map((iface, i) => ({
    name: iface.name,
    summary: modeSummary(iface),
    stanzas: stanzasFor(iface, target, i === 0 && target.resolvOwner === 'resolvconf' ? instance : undefined) as unknown as Context[],
  }));
  const kept = keptStanzas(target.eniFragments.get(ENI_PATH), new Set(instance.interfaces.map((i) => i.name)), target.liveInterfaces, ENI_PATH, warnings);
  const files: PlannedFile[] = [{ path: ENI_PATH, content: render(template, { interfaces }) + kept, mode: 0o644 }];
  const main = mainFile(existingText(target, MAIN_PATH));
  if (main !== undefined) files.push({ path: MAIN_PATH, content: main, mode: 0o644 });
  const removals = takeOver(instance, target, warnings);
  const off = disableCloudInitNetwork(target, removals);
  return { files: [...files, ...off.files], removals, notes: off.notes };
}

/** Interface names a piece of ENI text defines stanzas for. */
export function eniStanzaNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^\s*iface\s+(\S+)\s/gm)) names.add(m[1]!);
  return names;
}

/**
 * ifupdown runs every stanza it finds: cloud-init's 50-cloud-init next to ours
 * means a second dhclient, or `inet6 dhcp` on a SLAAC subnet that hangs boot.
 * A fragment cloud-init generated for our interfaces is backed up and removed;
 * any other file that configures them is the admin's, so it is reported.
 */
function takeOver(instance: Instance, target: Target, warnings: Warnings): PlannedRemoval[] {
  const ours = new Set(instance.interfaces.map((i) => i.name));
  const clashes = (text: string): string[] => [...eniStanzaNames(text)].filter((n) => ours.has(n));
  const report = (path: string, clash: string[]): void => warnings.add(path, `also configures ${clash.join(', ')}; ifupdown will run both stanzas (remove them from this file)`);
  const removals: PlannedRemoval[] = [];
  for (const [path, text] of target.eniFragments) {
    if (path === ENI_PATH) continue;
    const clash = clashes(text);
    if (clash.length === 0) continue;
    // Only a fragment whose every interface is ours goes: one that also configures a NIC the drive
    // did not match (still present here) would take that NIC's working configuration with it.
    const others = [...eniStanzaNames(text)].filter((n) => n !== 'lo' && !ours.has(n));
    const fromCloudInit = writtenByCloudInit(text, path);
    if (fromCloudInit && others.length) {
      warnings.add(path, `configures ${clash.join(', ')} beside v6agent and also ${others.join(', ')}, which the drive does not describe; kept (remove the stanzas for ${clash.join(', ')} by hand)`);
    } else if (fromCloudInit) {
      removals.push({ path, why: `cloud-init's stanzas for ${clash.join(', ')} would run beside v6agent's` });
    } else {
      report(path, clash);
    }
  }
  const mainClash = clashes(existingText(target, MAIN_PATH) ?? '');
  if (mainClash.length) report(MAIN_PATH, mainClash);
  return removals;
}

/**
 * /etc/network/interfaces must source interfaces.d. Write Debian's default when
 * there is none; append the source line when an existing one lacks it.
 */
function mainFile(current: string | undefined): string | Uint8Array | undefined {
  if (current === undefined) return render(mainTemplate, {});
  if (/^\s*source(-directory)?\s+(\/etc\/network\/)?interfaces\.d(\/\*)?\s*$/m.test(current)) return undefined;
  // `current` is latin1 (one char per byte), so the admin's bytes come back exactly.
  return Buffer.from(`${current}${current === '' || current.endsWith('\n') ? '' : '\n'}\n# Added by v6agent: its interfaces are in interfaces.d.\nsource /etc/network/interfaces.d/*\n`, 'latin1');
}

/** A file's current bytes as latin1 text (undefined if absent): the scanning above works on any encoding. */
function existingText(target: Target, path: string): string | undefined {
  const bytes = target.existing.get(path);
  return bytes && Buffer.from(bytes).toString('latin1');
}

function stanzasFor(iface: Interface, target: Target, dnsFrom: Instance | undefined): Stanza[] {
  const stanzas: Stanza[] = [];
  if (iface.ipv4) stanzas.push(...ipv4Stanzas(iface));
  if (iface.ipv6) stanzas.push(...ipv6Stanzas(iface, iface.ipv6, target));
  if (stanzas.length === 0) stanzas.push({ family: 'inet', method: 'manual', options: [] });
  // Link-level settings go on the first stanza: ifupdown runs it first.
  stanzas[0]!.options.unshift(...linkOptions(iface));
  if (dnsFrom) stanzas[0]!.options.push(...dnsOptions(dnsFrom));
  return stanzas;
}

function linkOptions(iface: Interface): string[] {
  const o: string[] = [];
  const k = iface.kind;
  if (k.type === 'vlan') o.push(`vlan-raw-device ${k.raw}`);
  if (k.type === 'bond') {
    o.push(...bondDevice(iface));
    o.push(`bond-slaves ${k.slaves.join(' ')}`, `bond-mode ${k.mode}`);
    for (const [key, value] of Object.entries(k.options)) o.push(`bond-${key.replace(/_/g, '-')} ${value}`);
  }
  if (iface.bondMaster) o.push(`bond-master ${iface.bondMaster}`);
  if (iface.mtu !== undefined) o.push(`pre-up ip link set dev ${iface.name} mtu ${iface.mtu}`);
  return o;
}

/**
 * The bond's own MAC (the drive's `ethernet_mac_address`: the port's, whose
 * EUI-64 addresses Neutron lets through) must be on the bond before its first
 * member is enslaved. The kernel gives a bond whose MAC is still random the
 * MAC of its first member (bond_enslave: NET_ADDR_RANDOM), and its link-local
 * and SLAAC addresses follow. ifenslave enslaves from an if-pre-up.d script,
 * and ifupdown runs a stanza's `pre-up` lines before those scripts
 * (execute.c, iface_preup), so these lines create the bond and set its MAC
 * first (ifenslave then finds the bond and keeps it). `hwaddress` cannot do
 * this: the `inet6 auto` method ignores it, and the others apply it only after
 * the scripts. The MTU line below needs the bond to exist as well.
 * `|| true`: loading the bonding module may itself create bond0 (max_bonds=1).
 */
function bondDevice(iface: Interface): string[] {
  if (!iface.mac && iface.mtu === undefined) return [];
  const create = `pre-up ip link add dev ${iface.name} type bond 2>/dev/null || true`;
  return iface.mac ? [create, `pre-up ip link set dev ${iface.name} address ${iface.mac}`] : [create];
}

/** resolvconf's ifupdown hook turns these into its resolv.conf. */
function dnsOptions(instance: Instance): string[] {
  const o: string[] = [];
  if (instance.dns.nameservers.length) o.push(`dns-nameservers ${instance.dns.nameservers.join(' ')}`);
  if (instance.dns.search.length) o.push(`dns-search ${instance.dns.search.join(' ')}`);
  return o;
}

function routeUp(iface: string, r: Route, ipv6: boolean): string {
  // `replace` so a re-run of ifup does not fail on an existing route; `onlink`
  // because in dynamic modes the gateway's prefix may not be configured yet.
  return `up ip ${ipv6 ? '-6 ' : ''}route replace ${r.network}/${r.prefix} via ${r.gateway} dev ${iface} onlink`;
}

function ipv4Stanzas(iface: Interface): Stanza[] {
  const v4 = iface.ipv4!;
  if (v4.method === 'dhcp') return [{ family: 'inet', method: 'dhcp', options: [] }];
  const [first, ...more] = v4.addresses;
  const options = [`address ${first!.address}/${first!.prefix}`];
  if (v4.gateway) options.push(`gateway ${v4.gateway}`);
  options.push(...v4.routes.map((r) => routeUp(iface.name, r, false)));
  // ifupdown accepts several stanzas of one family; each adds its address.
  return [{ family: 'inet', method: 'static', options }, ...more.map((a) => ({ family: 'inet' as const, method: 'static', options: [`address ${a.address}/${a.prefix}`] }))];
}

function ipv6Stanzas(iface: Interface, v6: Ipv6Config, target: Target): Stanza[] {
  const ra = `accept_ra ${acceptRa(target)}`;
  const routes = v6.routes.map((r) => routeUp(iface.name, r, true));
  if (hasStaticAddress(v6.mode)) {
    const [first, ...more] = v6.addresses;
    const options = [`address ${first!.address}/${first!.prefix}`];
    // ifupdown would default accept_ra to 0 once a gateway is set (Debian #775660):
    // keep RAs on so the router's MTU and metadata route still arrive.
    if (v6.gateway) options.push(`gateway ${v6.gateway}`);
    options.push(ra, 'autoconf 0', ...routes);
    return [{ family: 'inet6', method: 'static', options }, ...more.map((a) => ({ family: 'inet6' as const, method: 'static', options: [`address ${a.address}/${a.prefix}`] }))];
  }
  // Dynamic modes: the default route comes from the router's RA, not from the drive.
  switch (dhcpv6Client(v6.mode)) {
    case 'stateful':
      return [{ family: 'inet6', method: 'dhcp', options: [ra, `autoconf ${usesAutoconf(v6.mode) ? 1 : 0}`, ...routes] }];
    case 'information-only':
      return [{ family: 'inet6', method: 'auto', options: [ra, 'dhcp 1', ...routes] }];
    case 'none':
      return [{ family: 'inet6', method: 'auto', options: [ra, ...routes] }];
  }
}
