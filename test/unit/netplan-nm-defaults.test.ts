/**
 * netplan on its NetworkManager backend: NM also makes its own "Wired
 * connection N" profiles for ports netplan does not describe, and those follow
 * NM's global defaults (stable-privacy). So the same conf.d defaults as for the
 * NetworkManager stack are written (renderers.md 4.3); not for the networkd backend.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runApply } from '../../agent/commands/apply.js';
import { NM_DEFAULTS } from '../../distro/networkmanager.js';
import { rootPerTest } from '../helpers.js';

const newRoot = rootPerTest();
const MAC = 'fa:16:3e:5c:2a:7e';
const render = (r: string) =>
  runApply({ configDrive: 'test/golden/v6only-slaac/drive', root: r, distro: 'ubuntu', stack: 'netplan', iface: [`${MAC}=eth0`], dryRun: false, probe: false, probeTimeoutMs: 0 });
const put = (r: string, path: string, text: string): void => {
  mkdirSync(join(r, path, '..'), { recursive: true });
  writeFileSync(join(r, path), text, { mode: 0o600 });
};

describe('netplan: NetworkManager conf.d defaults', () => {
  it('are written when netplan renders for NetworkManager, so NM fallback profiles are EUI-64 too', async () => {
    const r = newRoot();
    put(r, '/etc/netplan/01-network-manager-all.yaml', 'network:\n  version: 2\n  renderer: NetworkManager\n');
    await render(r);
    expect(readFileSync(join(r, NM_DEFAULTS), 'utf8')).toMatch(/ipv6\.addr-gen-mode=0\nipv6\.ip6-privacy=0\n/);
    expect((await render(r)).changed).toBe(false);
  });

  it('are written when one device has renderer: NetworkManager', async () => {
    const r = newRoot();
    put(r, '/etc/netplan/60-admin.yaml', `network:\n  version: 2\n  ethernets:\n    eth0:\n      renderer: NetworkManager\n      match: {macaddress: "${MAC}"}\n`);
    await render(r);
    expect(existsSync(join(r, NM_DEFAULTS))).toBe(true);
  });

  it('are not written for the networkd backend', async () => {
    const r = newRoot();
    put(r, '/etc/netplan/50-cloud-init.yaml', `network:\n  version: 2\n  ethernets:\n    ens3:\n      match: {macaddress: "${MAC}"}\n      dhcp4: true\n`);
    await render(r);
    expect(existsSync(join(r, NM_DEFAULTS))).toBe(false);
  });
});
