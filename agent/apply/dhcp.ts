/**
 * Starting a stateful DHCPv6 client doctor --fix found missing: ISC dhclient
 * with the pid and lease files ifupdown uses, so a later `ifdown` stops it.
 * `-nw` returns at once; the lease follows in the background.
 */
import { spawnSync } from 'node:child_process';
import type { LiveResult } from './live.js';

export function startDhcpv6(iface: string): LiveResult {
  const argv = ['-6', '-nw', '-pf', `/run/dhclient6.${iface}.pid`, '-lf', `/var/lib/dhcp/dhclient6.${iface}.leases`, iface];
  const what = `dhclient ${argv.join(' ')}`;
  const r = spawnSync('dhclient', argv, { encoding: 'utf8', timeout: 10_000 });
  if (r.status === 0) return { what, from: 'not running', to: 'started', status: 'changed' };
  const why = r.error ? (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'dhclient is not installed' : r.error.message : (r.stderr || `exit ${r.status}`).trim().split('\n').pop()!;
  return { what, from: 'not running', to: `not started: ${why}`, status: 'failed' };
}
