/**
 * Live, v6agent's own NetworkManager profile for a NIC the drive no longer
 * describes (its link's MAC matches no NIC) while the NIC is still here is
 * kept with a warning: removing it would take that NIC's working configuration
 * away (issue 9: a drive link that matches no NIC never removes what exists
 * for the interfaces present). Under --root (no live NICs) it goes.
 */
import { describe, expect, it } from 'vitest';
import { Warnings } from '../../agent/errors.js';
import type { Instance } from '../../agent/model/instance.js';
import type { Target } from '../../agent/sources/target.js';
import { nmTakeOver } from '../../distro/networkmanager-takeover.js';

const ETH0 = '/etc/NetworkManager/system-connections/v6agent-eth0.nmconnection';
const ETH1 = '/etc/NetworkManager/system-connections/v6agent-eth1.nmconnection';
const instance = { interfaces: [{ name: 'eth0', mac: 'fa:16:3e:5c:2a:7e', kind: { type: 'physical' } }] } as unknown as Instance;
const target = (liveInterfaces: ReadonlySet<string> | undefined): Target =>
  ({ nmProfiles: new Map([[ETH0, '# Written by v6agent\n'], [ETH1, '# Written by v6agent\n[connection]\nid=v6agent eth1\n']]), liveInterfaces }) as unknown as Target;

describe("v6agent's NetworkManager profile for a NIC the drive does not describe", () => {
  it('is kept, with a warning, while the NIC is still here (live)', () => {
    const w = new Warnings();
    const removals = nmTakeOver(instance, target(new Set(['lo', 'eth0', 'eth1'])), new Set([ETH0]), w);
    expect(removals.map((r) => r.path)).not.toContain(ETH1);
    expect(w.list).toContainEqual({ where: ETH1, message: 'kept: the drive does not describe eth1, and the NIC is still here' });
  });

  it('is removed when the NIC is gone (live)', () => {
    const removals = nmTakeOver(instance, target(new Set(['lo', 'eth0'])), new Set([ETH0]), new Warnings());
    expect(removals.map((r) => r.path)).toContain(ETH1);
  });

  it('is removed under --root, where no NIC is known', () => {
    const removals = nmTakeOver(instance, target(undefined), new Set([ETH0]), new Warnings());
    expect(removals.map((r) => r.path)).toContain(ETH1);
  });
});
