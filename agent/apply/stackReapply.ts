/**
 * A running NetworkManager's profile changed in place, through its own tool,
 * for `doctor --fix`: `nmcli connection modify`, then `nmcli device reapply`
 * on the devices the profile is active on. Reapply keeps the activation, so
 * the interface carrying the default route or the SSH session stays up.
 * (networkd's counterpart is reload.ts's reloadNetworkd, shared with apply.)
 */
import { spawnSync } from 'node:child_process';
import type { Warnings } from '../errors.js';
import type { LiveResult } from './live.js';
import { runTool } from './tool.js';

export interface NmProfile {
  readonly by: 'uuid' | 'id';
  readonly value: string;
}

/** The devices a profile is active on (nmcli -g GENERAL.DEVICES); none when it is not active. */
function activeDevices(profile: NmProfile): string[] {
  const r = spawnSync('nmcli', ['-g', 'GENERAL.DEVICES', 'connection', 'show', profile.by, profile.value], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim().split(/[,\s]+/).filter(Boolean) : [];
}

export function nmModify(profile: NmProfile, settings: readonly (readonly [string, string])[], warnings: Warnings): LiveResult[] {
  const what = `NetworkManager profile ${profile.value}`;
  const modify = runTool(what, ['nmcli', 'connection', 'modify', profile.by, profile.value, ...settings.flat()], warnings);
  if (modify.status !== 'changed') return [modify];
  // Not active: the next activation uses the new settings; there is nothing to reapply.
  return [modify, ...activeDevices(profile).map((dev) => runTool(what, ['nmcli', 'device', 'reapply', dev], warnings))];
}
