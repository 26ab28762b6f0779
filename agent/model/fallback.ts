/**
 * The configuration written when no metadata source answered, so the VM still
 * comes up reachable (as cloud-init's fallback does): every physical NIC gets
 * IPv6 autoconfiguration with an EUI-64 address (the sysctls every IPv6
 * interface gets), its DHCPv6 client chosen by the router's flags when apply
 * probes, and the first NIC gets DHCPv4 too. No host name, no keys, no DNS:
 * nothing is invented. A later run with a source replaces it.
 */
import type { Instance, Interface } from './instance.js';

export interface Nic {
  readonly name: string;
  readonly mac: string;
}

export const FALLBACK_SOURCE = 'fallback configuration (no metadata source answered)';

export function fallbackInstance(nics: readonly Nic[]): Instance {
  const interfaces = nics.map(
    (n, i): Interface => ({
      name: n.name,
      mac: n.mac,
      kind: { type: 'physical' },
      bondMaster: undefined,
      mtu: undefined,
      ipv4: i === 0 ? { method: 'dhcp' } : undefined,
      // "Mode unknown until a router is observed": SLAAC, no DHCPv6 client, then the router's flags decide.
      ipv6: { mode: 'dhcp-unknown', addresses: [], gateway: undefined, routes: [] },
    }),
  );
  return {
    uuid: undefined,
    name: undefined,
    hostname: undefined,
    fqdn: undefined,
    manageEtcHosts: false,
    sshKeys: [],
    interfaces,
    dns: { nameservers: [], search: [] },
    source: FALLBACK_SOURCE,
  };
}
