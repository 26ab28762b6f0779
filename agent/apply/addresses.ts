/**
 * Removing an address doctor --fix found Neutron would drop (a temporary or
 * stable-privacy address beside the EUI-64 one). Through ip(8): one
 * well-known command, run only for what the user asked --fix to repair.
 */
import { spawnSync } from 'node:child_process';
import type { LiveResult } from './live.js';

export function deleteAddress(iface: string, address: string, prefixLength: number): LiveResult {
  const what = `${address}/${prefixLength} on ${iface}`;
  const r = spawnSync('ip', ['-6', 'addr', 'del', `${address}/${prefixLength}`, 'dev', iface], { encoding: 'utf8', timeout: 5000 });
  if (r.status === 0) return { what, from: 'present', to: 'removed', status: 'changed' };
  // Already gone (expired, or removed by its owner): nothing to do.
  if (/Cannot assign requested address|No such/.test(r.stderr ?? '')) return { what, from: undefined, to: 'removed', status: 'unchanged' };
  return { what, from: 'present', to: `not removed: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`, status: 'failed' };
}
