/**
 * What the routers on each interface say, from the wire or the kernel, in the
 * stable shape `v6agent ra --json` prints and `apply` consumes.
 */
import { modeFromRaFlags } from '../model/modes.js';
import type { KernelRaFacts } from '../facts/raKernel.js';
import type { RouterAdvertisement } from './codec.js';

/** `unmanaged`: a router, but no autoconf prefix and neither M nor O. `none`: no router. */
export type ObservedMode = 'slaac' | 'dhcpv6-stateless' | 'dhcpv6-stateful' | 'unmanaged' | 'none';
export type FactSource = 'wire' | 'kernel' | 'none';

export interface RouterReport {
  readonly address: string;
  /** Milliseconds from our first Router Solicitation to this router's answer; null from the kernel. */
  readonly afterMs: number | null;
  readonly managed: boolean;
  readonly other: boolean;
  /** Router lifetime in seconds; null when only the kernel was asked. */
  readonly lifetime: number | null;
  readonly preference: 'high' | 'medium' | 'low' | null;
  readonly mtu: number | null;
  readonly prefixes: readonly { prefix: string; onLink: boolean; autonomous: boolean; validLifetime: number; preferredLifetime: number }[];
  readonly rdnss: readonly string[];
  readonly dnssl: readonly string[];
  readonly pref64: readonly string[];
  /** Route Information options (RFC 4191), e.g. the metadata service's fe80::a9fe:a9fe/128; empty from the kernel. */
  readonly routes: readonly { prefix: string; preference: 'high' | 'medium' | 'low'; lifetime: number }[];
}

export interface InterfaceReport {
  readonly name: string;
  readonly mode: ObservedMode;
  readonly source: FactSource;
  readonly elapsedMs: number;
  readonly routers: readonly RouterReport[];
  /** Why the answer is what it is: no root, stale kernel flags, disagreements. */
  readonly notes: readonly string[];
  /** What the kernel keeps from RAs it processed (whatever the source of the answer above). */
  readonly kernel: KernelRaFacts | null;
}

export function routerFromRa(address: string, ra: RouterAdvertisement, afterMs: number): RouterReport {
  return {
    address,
    afterMs: Math.round(afterMs * 1000) / 1000,
    managed: ra.managed,
    other: ra.other,
    lifetime: ra.lifetime,
    preference: ra.preference,
    mtu: ra.mtu ?? null,
    prefixes: ra.prefixes.map((p) => ({ prefix: `${p.prefix}/${p.prefixLength}`, onLink: p.onLink, autonomous: p.autonomous, validLifetime: p.validLifetime, preferredLifetime: p.preferredLifetime })),
    rdnss: ra.rdnss.filter((r) => r.lifetime > 0).flatMap((r) => r.servers),
    dnssl: ra.dnssl.filter((d) => d.lifetime > 0).flatMap((d) => d.domains),
    pref64: ra.pref64.map((p) => `${p.prefix}/${p.prefixLength}`),
    routes: ra.routes.map((r) => ({ prefix: `${r.prefix}/${r.prefixLength}`, preference: r.preference, lifetime: r.lifetime })),
  };
}

/**
 * The link's mode from all its routers: any M makes it stateful, any O
 * stateless, any autonomous prefix SLAAC (modes.ts is where that order lives).
 */
export function modeOfRouters(routers: readonly RouterReport[], slaacSeen = false): ObservedMode {
  if (routers.length === 0) return 'none';
  const mode = modeFromRaFlags({
    managed: routers.some((r) => r.managed),
    other: routers.some((r) => r.other),
    autonomous: slaacSeen || routers.some((r) => r.prefixes.some((p) => p.autonomous)),
  });
  return mode === 'static' ? 'unmanaged' : (mode as ObservedMode);
}
