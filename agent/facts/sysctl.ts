/**
 * The one reader of /proc/sys: values as the kernel prints them, trimmed;
 * undefined where the key does not exist (no IPv6, no such interface).
 */
import { readFileSync } from 'node:fs';

export const PROC_SYS = '/proc/sys';

/** One /proc/sys file by its full path (a test may point procSys elsewhere). */
export function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function readSysctl(path: string, procSys = PROC_SYS): string | undefined {
  return readProcFile(`${procSys}/${path}`);
}

/** The per-interface IPv6 keys doctor and apply reason about. */
export const IPV6_CONF_KEYS = ['disable_ipv6', 'forwarding', 'accept_ra', 'autoconf', 'use_tempaddr', 'addr_gen_mode', 'stable_secret', 'accept_ra_rt_info_max_plen', 'mtu'] as const;
export type Ipv6ConfKey = (typeof IPV6_CONF_KEYS)[number];

/** net.ipv6.conf.IFACE.* for the keys above. */
export function readIpv6Conf(iface: string, procSys = PROC_SYS): Partial<Record<Ipv6ConfKey, string>> {
  const out: Partial<Record<Ipv6ConfKey, string>> = {};
  for (const key of IPV6_CONF_KEYS) {
    const v = readSysctl(`net/ipv6/conf/${iface}/${key}`, procSys);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** An integer sysctl, or undefined when absent or not a number. */
export function sysctlNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
