/**
 * One registry of network renderers, one file per format. The planner asks
 * here by stack; adding a stack is one file plus one line.
 */
import { ExitCode, V6Error, type Warnings } from '../agent/errors.js';
import type { Instance } from '../agent/model/instance.js';
import { STACKS, type NetworkPlan, type Stack } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { renderEni } from './eni.js';
import { renderIfcfg } from './ifcfg.js';
import { renderNmKeyfile } from './networkmanager.js';
import { renderNetworkd } from './networkd.js';
import { renderNetplan } from './netplan.js';

export type NetworkRenderer = (instance: Instance, target: Target, warnings: Warnings) => NetworkPlan;

const RENDERERS: Partial<Record<Stack, NetworkRenderer>> = {
  eni: renderEni,
  ifcfg: renderIfcfg,
  networkmanager: renderNmKeyfile,
  netplan: renderNetplan,
  networkd: renderNetworkd,
};

/**
 * Whether the kernel handles RAs under this stack, so that our per-interface
 * sysctls (EUI-64, no privacy, accept_ra, RIO routes) are what holds.
 * NetworkManager and systemd-networkd run RA/SLAAC in user space and rewrite
 * accept_ra=0, addr_gen_mode and use_tempaddr on every link they manage
 * (networkd-sysctl.c; NM ip6_managed_setup()); a live accept_ra=1 from us would
 * make the kernel configure the link a second time beside them. There the
 * renderer writes EUI-64 and no-privacy into the stack's own configuration.
 * (ifcfg stays kernel: initscripts uses the kernel's RA handling.)
 */
const KERNEL_RA: Readonly<Record<Stack, boolean>> = {
  eni: true,
  ifcfg: true,
  netplan: false,
  networkmanager: false,
  networkd: false,
};

export function kernelHandlesRa(stack: Stack): boolean {
  return KERNEL_RA[stack];
}

/** The stacks that have a renderer, in STACKS order. */
export function registeredStacks(): Stack[] {
  return STACKS.filter((s) => RENDERERS[s] !== undefined);
}

export function networkRenderer(stack: Stack): NetworkRenderer {
  const r = RENDERERS[stack];
  if (!r) throw new V6Error(`this v6agent cannot write for ${stack} yet; pass --stack with one of ${registeredStacks().join(', ')}`, ExitCode.failure);
  return r;
}
