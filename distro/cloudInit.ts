/**
 * Taking over from cloud-init, shared by every stack: once v6agent has removed
 * cloud-init's network file for an interface it configures, cloud-init must
 * not write it again on the next boot (`network: {config: disabled}`,
 * cloud-init docs "Network configuration: disabling"). Each renderer decides
 * which files are cloud-init's; this writes the one drop-in that stops it.
 */
import type { PlannedFile, PlannedRemoval } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { render } from './template.js';
import cloudInitDisabled from '../templates/cloud-init-network-disabled.tmpl';

export const CLOUD_INIT_DISABLE = '/etc/cloud/cloud.cfg.d/99-v6agent-network.cfg';

/** Header words cloud-init puts in the files it renders. */
export function writtenByCloudInit(text: string): boolean {
  return /cloud-init|generated from information provided by the datasource/i.test(text.split('\n').slice(0, 6).join('\n'));
}

/** The drop-in, when cloud-init is installed and something of its was taken over. */
export function disableCloudInitNetwork(target: Target, removals: readonly PlannedRemoval[], ours: string): { files: PlannedFile[]; notes: string[] } {
  if (removals.length === 0 || !target.cloudInit) return { files: [], notes: [] };
  return {
    files: [{ path: CLOUD_INIT_DISABLE, content: render(cloudInitDisabled, { ours }), mode: 0o644 }],
    notes: [`cloud-init's network rendering disabled in ${CLOUD_INIT_DISABLE}`],
  };
}
