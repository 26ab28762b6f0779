/** Stack detection: what an image runs at boot, from its files; never from the distro name. */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectStack } from '../../distro/stack.js';
import { rootPerTest } from '../helpers.js';
import { seedDebian12Cloud, seedDebianIfupdown, seedInitscripts, seedRhel10, seedRocky9 } from '../images.js';

const root = rootPerTest();

describe('offline detection in an image root', () => {
  it('picks netplan with the networkd backend on a Debian 12 cloud image', async () => {
    const r = root();
    seedDebian12Cloud(r, { cloudInitYaml: 'network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n' });
    const { stack, evidence } = await detectStack(r, false);
    expect(stack).toBe('netplan');
    expect(evidence.join('\n')).toMatch(/configured by \/etc\/netplan\/50-cloud-init\.yaml/);
    expect(evidence.join('\n')).toMatch(/netplan backend: networkd \(default\)/);
  });

  it('picks netplan on a Debian 12 image before cloud-init wrote any YAML', async () => {
    const r = root();
    seedDebian12Cloud(r);
    const { stack, evidence } = await detectStack(r, false);
    expect(stack).toBe('netplan');
    expect(evidence.join('\n')).toMatch(/no YAML yet/);
  });

  it('reports the NetworkManager backend from the merged renderer: key', async () => {
    const r = root();
    seedDebian12Cloud(r, { cloudInitYaml: 'network:\n  version: 2\n  renderer: networkd\n' });
    writeFileSync(join(r, 'etc/netplan/01-desktop.yaml'), 'network:\n  version: 2\n  renderer: NetworkManager\n');
    writeFileSync(join(r, 'etc/netplan/99-last.yaml'), 'network:\n  renderer: NetworkManager\n');
    const { evidence } = await detectStack(r, false);
    expect(evidence.join('\n')).toMatch(/netplan backend: NetworkManager \(renderer: in \/etc\/netplan\/99-last\.yaml\)/);
  });

  it('reports a device whose own renderer: differs from the global one', async () => {
    const r = root();
    seedDebian12Cloud(r, { cloudInitYaml: 'network:\n  version: 2\n  ethernets:\n    wlan:\n      renderer: NetworkManager\n      match: {name: wl0}\n' });
    expect((await detectStack(r, false)).evidence).toContain('netplan backend for wlan: NetworkManager (renderer: in /etc/netplan/50-cloud-init.yaml)');
  });

  it('picks NetworkManager with the ifcfg-rh plugin on a Rocky 9 image', async () => {
    const r = root();
    seedRocky9(r);
    const { stack, evidence } = await detectStack(r, false);
    expect(stack).toBe('networkmanager');
    expect(evidence.join('\n')).toMatch(/ifcfg-rh plugin \/usr\/lib64\/NetworkManager\/1\.46\.0-19\.el9_4\/libnm-settings-plugin-ifcfg-rh\.so present/);
  });

  it('picks NetworkManager, keyfiles only, on a RHEL 10 image', async () => {
    const r = root();
    seedRhel10(r);
    const { stack, evidence } = await detectStack(r, false);
    expect(stack).toBe('networkmanager');
    expect(evidence.join('\n')).toMatch(/no ifcfg-rh plugin \(keyfiles only\)/);
  });

  it('picks ifupdown where networking.service is enabled and netplan is absent', async () => {
    const r = root();
    seedDebianIfupdown(r);
    expect((await detectStack(r, false)).stack).toBe('eni');
  });

  it('keeps ifupdown when netplan is installed but has no YAML and ifupdown is in use', async () => {
    const r = root();
    seedDebianIfupdown(r);
    mkdirSync(join(r, 'usr/sbin'), { recursive: true });
    writeFileSync(join(r, 'usr/sbin/netplan'), '');
    expect((await detectStack(r, false)).stack).toBe('eni');
  });

  it('picks initscripts ifcfg where only network-scripts is there', async () => {
    const r = root();
    seedInitscripts(r);
    expect((await detectStack(r, false)).stack).toBe('ifcfg');
  });

  it('picks systemd-networkd enabled by symlink without netplan', async () => {
    const r = root();
    mkdirSync(join(r, 'lib/systemd'), { recursive: true });
    writeFileSync(join(r, 'lib/systemd/systemd-networkd'), '');
    mkdirSync(join(r, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
    symlinkSync('/lib/systemd/system/systemd-networkd.service', join(r, 'etc/systemd/system/multi-user.target.wants/systemd-networkd.service'));
    expect(await detectStack(r, false)).toMatchObject({ stack: 'networkd', evidence: ['systemd-networkd: /lib/systemd/systemd-networkd enabled by symlink'] });
  });

  it('counts a preset as enabled when no symlink says otherwise', async () => {
    const r = root();
    mkdirSync(join(r, 'usr/sbin'), { recursive: true });
    writeFileSync(join(r, 'usr/sbin/NetworkManager'), '');
    mkdirSync(join(r, 'usr/lib/systemd/system-preset'), { recursive: true });
    writeFileSync(join(r, 'usr/lib/systemd/system-preset/90-default.preset'), 'disable NetworkManager-wait-online.service\nenable NetworkManager.service\ndisable *\n');
    const { stack, evidence } = await detectStack(r, false);
    expect(stack).toBe('networkmanager');
    expect(evidence.join('\n')).toMatch(/enabled by preset/);
  });

  it('takes the unit file as proof of installation when the binary is not where it looks', async () => {
    const r = root();
    mkdirSync(join(r, 'usr/lib/systemd/system'), { recursive: true });
    writeFileSync(join(r, 'usr/lib/systemd/system/NetworkManager.service'), '[Service]\n');
    mkdirSync(join(r, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
    symlinkSync('/usr/lib/systemd/system/NetworkManager.service', join(r, 'etc/systemd/system/multi-user.target.wants/NetworkManager.service'));
    expect((await detectStack(r, false)).evidence).toEqual(['NetworkManager: /usr/lib/systemd/system/NetworkManager.service enabled by symlink; no ifcfg-rh plugin (keyfiles only)']);
  });

  it('does not count NetworkManager that is installed but not enabled', async () => {
    const r = root();
    mkdirSync(join(r, 'usr/sbin'), { recursive: true });
    writeFileSync(join(r, 'usr/sbin/NetworkManager'), '');
    await expect(detectStack(r, false)).rejects.toThrow(/no network stack found/);
  });

  it('names everything it looked for when nothing is there', async () => {
    const err = (await detectStack(root(), false).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/no network stack found in .*: looked for netplan .*NetworkManager .*systemd-networkd .*ifupdown .*initscripts ifcfg.*Pass --stack/);
  });
});
