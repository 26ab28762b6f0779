import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseVersion, readFsLabel } from '../../agent/sources/configDrive.js';
import { detectDistro } from '../../distro/detect.js';
import { runMetadata } from '../../agent/commands/metadata.js';
import { interfaceNames } from '../../agent/load.js';

describe('config drive', () => {
  it('prefers openstack/latest', async () => {
    const d = mkdtempSync(join(tmpdir(), 'v6-'));
    for (const v of ['2015-10-15', 'latest', '2018-08-27']) mkdirSync(join(d, v));
    expect(chooseVersion(d)).toBe('latest');
  });

  it('falls back to the newest dated version', async () => {
    const d = mkdtempSync(join(tmpdir(), 'v6-'));
    for (const v of ['2015-10-15', '2025-04-04', '2018-08-27', 'content']) mkdirSync(join(d, v));
    expect(chooseVersion(d)).toBe('2025-04-04');
  });

  it('reads an iso9660 volume label', async () => {
    const head = Buffer.alloc(16 * 2048 + 72, 0x20);
    head.write('CD001', 16 * 2048 + 1, 'latin1');
    head.write('config-2', 16 * 2048 + 40, 'latin1');
    expect(readFsLabel(head)).toEqual({ fsType: 'iso9660', label: 'config-2' });
  });

  it('reads a FAT16 label, which vfat may upper-case', async () => {
    const head = Buffer.alloc(16 * 2048 + 72, 0);
    head.write('CONFIG-2   FAT16   ', 43, 'latin1');
    head[510] = 0x55;
    head[511] = 0xaa;
    expect(readFsLabel(head)).toEqual({ fsType: 'vfat', label: 'CONFIG-2' });
  });
});

describe('distro detection', () => {
  it.each([
    ['ID=debian', 'debian', 'debian'],
    ['ID=ubuntu\nID_LIKE=debian', 'ubuntu', 'ubuntu'],
    ['ID="rocky"\nID_LIKE="rhel centos fedora"', 'rocky', 'rocky'],
    ['ID="almalinux"', 'alma', 'almalinux'],
    ['ID=ol\nID_LIKE="fedora"', 'fedora', 'fedora'],
  ])('reads %j', (text, name, defaultUser) => {
    expect(detectDistro(text)).toMatchObject({ name, defaultUser });
  });

  it('knows nothing of other distros', async () => {
    expect(detectDistro('ID=arch')).toBeUndefined();
  });
});

describe('the model from a drive', () => {
  it('puts IPv6 nameservers first on an IPv6-only instance and keeps at most 3', async () => {
    const { instance, warnings } = await runMetadata({ configDrive: 'test/golden/dns-limits/drive', iface: [] });
    expect(instance.dns.nameservers).toEqual(['2001:db8:53::54', '2001:db8:53::53', '2001:db8:53::55']);
    expect(warnings.some((w) => /glibc uses only 3/.test(w.message))).toBe(true);
  });

  it('prefers user_data hostname and fqdn over meta_data', async () => {
    const { instance } = await runMetadata({ configDrive: 'test/golden/user-data/drive', iface: [] });
    expect(instance).toMatchObject({ hostname: 'web1', fqdn: 'web1.example.org' });
  });

  it('takes the short name and FQDN from meta_data hostname', async () => {
    const { instance } = await runMetadata({ configDrive: 'test/golden/dual-slaac/drive', iface: [] });
    expect(instance).toMatchObject({ hostname: 'demo', fqdn: 'demo.novalocal' });
  });

  it('names NICs by MAC from /sys/class/net, case-insensitively', async () => {
    const sys = mkdtempSync(join(tmpdir(), 'v6-sys-'));
    mkdirSync(join(sys, 'ens3', 'device'), { recursive: true });
    writeFileSync(join(sys, 'ens3', 'address'), 'FA:16:3E:5C:2A:7E\n');
    expect(interfaceNames(new Map(), { sysfs: true, fallback: false }, sys).nameFor('fa:16:3e:5c:2a:7e')).toBe('ens3');
  });

  it('lets --iface override the live name', async () => {
    const sys = mkdtempSync(join(tmpdir(), 'v6-sys-'));
    mkdirSync(join(sys, 'ens3'));
    writeFileSync(join(sys, 'ens3', 'address'), 'fa:16:3e:5c:2a:7e\n');
    expect(interfaceNames(new Map([['fa:16:3e:5c:2a:7e', 'eth9']]), { sysfs: true, fallback: false }, sys).nameFor('fa:16:3e:5c:2a:7e')).toBe('eth9');
  });

  it('gives a live name that --iface gives to another MAC to that MAC only, so two links are never one interface', async () => {
    const sys = mkdtempSync(join(tmpdir(), 'v6-sys-'));
    mkdirSync(join(sys, 'eth0', 'device'), { recursive: true });
    writeFileSync(join(sys, 'eth0', 'address'), 'fa:16:3e:11:22:33\n');
    const names = interfaceNames(new Map([['fa:16:3e:5c:2a:7e', 'eth0']]), { sysfs: true, fallback: false }, sys);
    expect(names.nameFor('fa:16:3e:5c:2a:7e')).toBe('eth0');
    expect(names.nameFor('fa:16:3e:11:22:33')).toBeUndefined();
  });

  it('keeps the drive expected address for dynamic modes without configuring it', async () => {
    const { instance } = await runMetadata({ configDrive: 'test/golden/v6only-slaac/drive', iface: [] });
    expect(instance.interfaces[0]!.ipv6).toMatchObject({ mode: 'slaac', addresses: [{ address: '2001:db8:10:1:f816:3eff:fe5c:2a7e', prefix: 64 }], gateway: '2001:db8:10:1::1' });
  });
});
