/**
 * `v6agent ra`: what the routers say. Interfaces whose kernel already
 * processed an RA are answered from the kernel at once; the rest (or all, with
 * --wire) are asked on the wire with a Router Solicitation.
 */
import { V6Error, ExitCode } from '../errors.js';
import { interfaceName } from '../model/names.js';
import { readAddresses, readLinks, readRoutes, type Addr, type Route } from '../facts/netlink.js';
import { kernelRaFacts, type KernelRaFacts } from '../facts/raKernel.js';
import { readSysctl, sysctlNumber } from '../facts/sysctl.js';
import { kernelView, type KernelLink, type KernelView } from '../ra/kernel.js';
import { modeOfRouters, routerFromRa, type InterfaceReport, type RouterReport } from '../ra/observe.js';
import { probeRouters } from '../ra/wire.js';

export interface RaOptions {
  readonly ifaces: readonly string[];
  /**
   * What to do with a named interface that has no IPv6: `error` (the `ra`
   * command: the user asked for it) or `skip` (apply: nothing to ask there).
   */
  readonly missing: 'error' | 'skip';
  readonly timeoutMs: number;
  /** Ask the wire even where the kernel already knows. */
  readonly wire: boolean;
  /** false: never ask the wire (doctor --no-probe); interfaces the kernel knows nothing of get no answer. */
  readonly probe?: boolean;
  /** false: leave out the kernel's routes, addresses and MTU (apply does not need them). */
  readonly kernelFacts?: boolean;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** The kernel keeps M/O but not who sent them, nor lifetimes, prefixes or options. */
function kernelRouters(k: KernelView): RouterReport[] {
  // With no RA route (router lifetime 0) there was still a router.
  const addresses = k.routers.length ? k.routers : ['unknown'];
  return addresses.map((address) => ({ address, afterMs: null, managed: k.managed, other: k.other, lifetime: null, preference: null, mtu: null, prefixes: [], rdnss: [], dnssl: [], pref64: [], routes: [] }));
}

function fromKernel(k: KernelView, elapsedMs: number, notes: string[]): InterfaceReport {
  const routers = kernelRouters(k);
  return { name: k.iface, mode: modeOfRouters(routers, k.slaacAddress), source: 'kernel', elapsedMs, routers, notes, kernel: null };
}

function noAnswer(name: string, elapsedMs: number, notes: string[]): InterfaceReport {
  return { name, mode: 'none', source: 'none', elapsedMs, routers: [], notes, kernel: null };
}

/** The kernel's RA facts for each interface. */
function kernelFacts(links: readonly KernelLink[], addresses: readonly Addr[], routes: readonly Route[]): Map<string, KernelRaFacts> {
  return new Map(links.map((l) => [l.name, kernelRaFacts(l.name, routes, addresses, sysctlNumber(readSysctl(`net/ipv6/conf/${l.name}/mtu`)))]));
}

export function observeRouters(opts: RaOptions): InterfaceReport[] {
  const t0 = performance.now();
  const links = readLinks();
  for (const name of opts.ifaces) {
    if (!interfaceName(name)) throw new V6Error(`${JSON.stringify(name)} is not an interface name`, ExitCode.usage);
    if (opts.missing === 'error' && !links.some((l) => l.name === name)) throw new V6Error(`${name}: no such interface with IPv6`, ExitCode.badInput);
  }
  const chosen = opts.ifaces.length ? links.filter((l) => opts.ifaces.includes(l.name)) : links.filter((l) => l.up && !l.loopback);
  // One address and one route dump (agent/facts) serve both the kernel's answer and its RA facts.
  const names = new Map(links.map((l) => [l.index, l.name]));
  const addresses = readAddresses(names);
  const routes = readRoutes(names);
  const kernel = new Map(chosen.map((l) => [l.name, kernelView(l, addresses, routes)]));
  const reports = new Map<string, InterfaceReport>();
  const kernelElapsed = performance.now() - t0;

  const toProbe: string[] = [];
  for (const link of chosen) {
    const k = kernel.get(link.name)!;
    if (k.raReceived && !opts.wire) reports.set(link.name, fromKernel(k, kernelElapsed, ['answered from the kernel (it processed an RA since link-up); --wire asks the routers']));
    // A Router Solicitation cannot leave a link that is down: do not wait for an answer that cannot come.
    else if (!link.up) reports.set(link.name, noAnswer(link.name, kernelElapsed, ['the link is down: no Router Solicitation sent']));
    else if (opts.probe === false) reports.set(link.name, noAnswer(link.name, kernelElapsed, ['the kernel has not processed an RA since link-up, and the wire was not asked']));
    else toProbe.push(link.name);
  }
  if (toProbe.length && !isRoot()) {
    for (const name of toProbe) {
      const k = kernel.get(name)!;
      const why = 'not root: no Router Solicitation sent (a raw ICMPv6 socket needs CAP_NET_RAW)';
      const stale = k.acceptsRa ? 'the kernel has not processed an RA since link-up' : 'the kernel does not process RAs here (accept_ra off, or NetworkManager/networkd handle them)';
      reports.set(name, k.raReceived ? fromKernel(k, kernelElapsed, [why]) : noAnswer(name, kernelElapsed, [why, stale]));
    }
  } else if (toProbe.length) {
    for (const w of probeRouters(toProbe, opts.timeoutMs)) {
      const routers = w.routers.map((r) => routerFromRa(r.address, r.ra, r.afterMs));
      const k = kernel.get(w.iface)!;
      const notes = w.dropped.map((d) => `dropped: ${d}`);
      const elapsedMs = performance.now() - t0;
      if (routers.length === 0) {
        notes.unshift(`no router answered within ${(opts.timeoutMs / 1000).toFixed(1)} s (${w.solicitations} solicitation${w.solicitations === 1 ? '' : 's'})`);
        reports.set(w.iface, noAnswer(w.iface, elapsedMs, notes));
        continue;
      }
      const mode = modeOfRouters(routers);
      if (k.raReceived) {
        const kmode = modeOfRouters(kernelRouters(k), k.slaacAddress);
        if (kmode !== mode) notes.push(`the kernel's flags say ${kmode}; the wire says ${mode}, which wins`);
      }
      reports.set(w.iface, { name: w.iface, mode, source: 'wire', elapsedMs, routers, notes, kernel: null });
    }
  }
  const facts = opts.kernelFacts === false ? new Map<string, KernelRaFacts>() : kernelFacts(chosen, addresses, routes);
  return chosen.map((l) => ({ ...reports.get(l.name)!, kernel: facts.get(l.name) ?? null }));
}

export function formatRaReport(reports: readonly InterfaceReport[]): string {
  const l: string[] = [];
  for (const r of reports) {
    l.push(`${r.name}: ${r.mode} (from ${r.source}, ${r.elapsedMs.toFixed(1)} ms)`);
    for (const rt of r.routers) {
      const flags = `M=${+rt.managed} O=${+rt.other}`;
      l.push(`  router ${rt.address}  ${flags}${rt.lifetime !== null ? `  lifetime ${rt.lifetime}s` : ''}${rt.preference ? `  preference ${rt.preference}` : ''}${rt.mtu ? `  mtu ${rt.mtu}` : ''}`);
      for (const p of rt.prefixes) l.push(`    prefix ${p.prefix}  L=${+p.onLink} A=${+p.autonomous}  valid ${p.validLifetime}s preferred ${p.preferredLifetime}s`);
      if (rt.rdnss.length) l.push(`    rdnss ${rt.rdnss.join(' ')}`);
      if (rt.dnssl.length) l.push(`    dnssl ${rt.dnssl.join(' ')}`);
      if (rt.pref64.length) l.push(`    pref64 ${rt.pref64.join(' ')}`);
      for (const ri of rt.routes) l.push(`    route ${ri.prefix}  preference ${ri.preference}  lifetime ${ri.lifetime}s`);
    }
    // Answered from the wire, the RA itself says more; from the kernel, say what it kept and what it could not.
    if (r.kernel && r.source === 'kernel') l.push(...formatKernel(r.kernel));
    for (const n of r.notes) l.push(`  note: ${n}`);
  }
  return `${l.join('\n')}\n`;
}

const expiry = (s: number | null): string => (s === null ? 'permanent' : `expires ${s}s`);
const life = (s: number | null): string => (s === null ? 'forever' : `${s}s`);

function formatKernel(k: KernelRaFacts): string[] {
  const l = [`  kernel: ipv6 mtu ${k.ipv6Mtu ?? 'unknown'}`];
  for (const d of k.defaultRoutes) l.push(`    default via ${d.router}  ${expiry(d.expiresIn)}${d.preference ? `  preference ${d.preference}` : ''}`);
  for (const p of k.prefixRoutes) l.push(`    prefix route ${p.prefix}  ${expiry(p.expiresIn)}`);
  for (const r of k.routeInformation) l.push(`    route ${r.prefix} via ${r.router}  ${expiry(r.expiresIn)}${r.preference ? `  preference ${r.preference}` : ''}`);
  for (const a of k.addresses) l.push(`    address ${a.address}  valid ${life(a.validLifetime)} preferred ${life(a.preferredLifetime)}`);
  l.push(`    only --wire gives: ${k.wireOnly.join('; ')}`);
  return l;
}
