/**
 * One registry of network renderers, one file per format. The planner asks
 * here by stack; adding a stack is one file plus one line.
 */
import type { Warnings } from '../agent/errors.js';
import type { Instance } from '../agent/model/instance.js';
import type { NetworkPlan, Stack } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { renderEni } from './eni.js';
import { renderIfcfg } from './ifcfg.js';
import { renderNmKeyfile } from './networkmanager.js';

export type NetworkRenderer = (instance: Instance, target: Target, warnings: Warnings) => NetworkPlan;

const RENDERERS: Partial<Record<Stack, NetworkRenderer>> = {
  eni: renderEni,
  ifcfg: renderIfcfg,
  networkmanager: renderNmKeyfile,
};

export function networkRenderer(stack: Stack): NetworkRenderer {
  const r = RENDERERS[stack];
  if (!r) throw new Error(`no renderer registered for stack ${stack}`);
  return r;
}
