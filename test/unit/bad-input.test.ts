/**
 * Bad input never does damage: a clear error naming the file and the field,
 * exit code 3 and nothing written — or the value dropped with a warning.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { editJson, writeDriveFile } from '../drives.js';
import { readTree } from '../helpers.js';
import { inputs } from '../inputs.js';

const t = inputs();
afterEach(() => t.clean());
const drive = t.drive;
const apply = t.apply;
const expectRejected = t.expectRejected;

describe('malformed files are rejected with the file named, and nothing is written', () => {
  it('rejects network_data.json that is not JSON', async () => {
    const d = drive();
    writeDriveFile(d, 'network_data.json', '{"links": [');
    await expectRejected(d, /network_data\.json: is not valid JSON/);
  });

  it('rejects an empty meta_data.json', async () => {
    const d = drive();
    writeDriveFile(d, 'meta_data.json', '');
    await expectRejected(d, /meta_data\.json: is empty/);
  });

  it('rejects a missing meta_data.json', async () => {
    const d = drive();
    rmSync(join(d, 'openstack/latest/meta_data.json'));
    await expectRejected(d, /meta_data\.json: missing/);
  });

  it('rejects network_data.json that is not UTF-8', async () => {
    const d = drive();
    writeDriveFile(d, 'network_data.json', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    await expectRejected(d, /network_data\.json: is not valid UTF-8/);
  });

  it('rejects an oversize network_data.json without reading it all', async () => {
    const d = drive();
    writeDriveFile(d, 'network_data.json', Buffer.alloc(5 * 1024 * 1024, 0x20));
    await expectRejected(d, /network_data\.json: is \d+ bytes, more than the \d+ allowed/);
  });

  it('rejects a JSON array where an object belongs', async () => {
    const d = drive();
    writeDriveFile(d, 'network_data.json', '[]');
    await expectRejected(d, /network_data\.json: must contain a JSON object/);
  });
});

describe('invalid network values are rejected with the field named', () => {
  it('rejects an address that is not IPv6', async () => {
    const d = drive();
    editJson(d, 'network_data.json', (j) => (j.networks[1].ip_address = '2001:db8::zz'));
    await expectRejected(d, /networks\[1\]\.ip_address: "2001:db8::zz" is not an IPv6 address/);
  });

  it('rejects a prefix longer than 128', async () => {
    const d = drive();
    editJson(d, 'network_data.json', (j) => (j.networks[1].netmask = '129'));
    await expectRejected(d, /networks\[1\]\.netmask: prefix length 129 is out of range 0-128/);
  });

  it('rejects an address/129 form', async () => {
    const d = drive();
    editJson(d, 'network_data.json', (j) => {
      j.networks[1].ip_address = '2001:db8:10:1::5/129';
      delete j.networks[1].netmask;
    });
    await expectRejected(d, /networks\[1\]\.netmask: prefix length 129/);
  });

  it('rejects a non-contiguous mask', async () => {
    const d = drive();
    editJson(d, 'network_data.json', (j) => (j.networks[1].netmask = 'ffff:0:ffff::'));
    await expectRejected(d, /networks\[1\]\.netmask: mask ffff:0:ffff:: is not contiguous/);
  });

  it('rejects a network on an unknown link', async () => {
    const d = drive();
    editJson(d, 'network_data.json', (j) => (j.networks[1].link = 'tap-nowhere'));
    await expectRejected(d, /networks\[1\]\.link: unknown link "tap-nowhere"/);
  });

  it('rejects a VLAN on an unknown link', async () => {
    const d = drive('vlan');
    editJson(d, 'network_data.json', (j) => (j.links[1].vlan_link = 'nope'));
    await expectRejected(d, /links\[1\]\.vlan_link: unknown link "nope"/);
  });

  it('rejects a MAC address with a newline in it', async () => {
    const d = drive();
    editJson(d, 'network_data.json', (j) => (j.links[0].ethernet_mac_address = 'fa:16:3e:5c:2a:7e\nauto evil'));
    await expectRejected(d, /links\[0\]\.ethernet_mac_address: .* is not a MAC address/);
  });

  it('rejects a VLAN id with shell in it', async () => {
    const d = drive('vlan');
    editJson(d, 'network_data.json', (j) => (j.links[1].vlan_id = '100; reboot'));
    await expectRejected(d, /links\[1\]\.vlan_id: must be an integer from 1 to 4094/);
  });

  it('rejects an MTU that is not a number', async () => {
    const d = drive();
    editJson(d, 'network_data.json', (j) => (j.links[0].mtu = '1500\nup reboot'));
    await expectRejected(d, /links\[0\]\.mtu: must be an integer/);
  });

  it('rejects a gateway that is not an address', async () => {
    const d = drive();
    editJson(d, 'network_data.json', (j) => (j.networks[1].routes[0].gateway = '$(reboot)'));
    await expectRejected(d, /networks\[1\]\.routes\[0\]\.gateway: "\$\(reboot\)" is not an IPv6 address/);
  });

  it('rejects a nameserver that is not an address', async () => {
    const d = drive();
    editJson(d, 'network_data.json', (j) => (j.services[0].address = '192.0.2.53\nnameserver 203.0.113.1'));
    await expectRejected(d, /services\[0\]\.address: .* is not an IP address/);
  });
});

describe('hostile strings in free-text fields are dropped with a warning', () => {
  const hostile = ['$(reboot)', '`reboot`', 'a;reboot', 'web\nnameserver 203.0.113.66', '../../etc/shadow'];

  it.each(hostile)('drops the host name %j', async (name) => {
    const d = drive();
    editJson(d, 'meta_data.json', (j) => (j.hostname = name));
    const { root, report } = await apply(d);
    expect(report.warnings.map((w) => w.where)).toContain('meta_data.json: hostname');
    expect(readdirSync(join(root, 'etc'))).not.toContain('hostname');
  });

  it('drops SSH keys that carry options or extra lines', async () => {
    const d = drive();
    editJson(d, 'meta_data.json', (j) => {
      j.public_keys = { a: 'command="reboot" ssh-ed25519 AAAA x', b: 'ssh-ed25519 AAAA x\nssh-rsa BBBB y' };
      j.keys = [];
    });
    const { root, report } = await apply(d);
    expect(report.warnings.filter((w) => /public_keys/.test(w.where))).toHaveLength(2);
    expect(readTree(root)['/home/debian/.ssh/authorized_keys']).toBeUndefined();
  });

  it('drops search domains that would inject resolv.conf lines', async () => {
    const d = drive();
    editJson(d, 'network_data.json', (j) => (j.networks[1].dns_search = ['good.example', 'x\nnameserver 203.0.113.66']));
    const { root, report } = await apply(d);
    expect(report.warnings.some((w) => /dns_search/.test(w.where))).toBe(true);
    expect(readFileSync(join(root, 'etc/resolv.conf'), 'utf8')).toContain('search good.example\n');
    expect(readFileSync(join(root, 'etc/resolv.conf'), 'utf8')).not.toContain('203.0.113.66');
  });

  it('drops bonding options that are not simple values', async () => {
    const d = drive('bond');
    editJson(d, 'network_data.json', (j) => (j.links[2].bond_miimon = "100'; reboot; '"));
    const { root, report } = await apply(d, 'rhel', ['fa:16:3e:5c:2a:7e=eth0', 'fa:16:3e:11:22:33=eth1']);
    expect(report.warnings.some((w) => /bond_miimon/.test(w.where))).toBe(true);
    expect(readFileSync(join(root, 'etc/sysconfig/network-scripts/ifcfg-bond0'), 'utf8')).toContain("BONDING_OPTS='mode=802.3ad xmit_hash_policy=layer3+4'");
  });

  it('drops a cloud-config user whose name is a path', async () => {
    const d = drive();
    writeDriveFile(d, 'user_data', '#cloud-config\nusers:\n  - name: ../../root\n    ssh_authorized_keys: [ssh-ed25519 AAAA x]\n');
    const { report } = await apply(d);
    expect(report.warnings.map((w) => w.where)).toContain(`${join(d, 'openstack/latest/user_data')}: users[0].name`);
  });

  it('skips a network type it does not know, with a warning', async () => {
    const d = drive();
    editJson(d, 'network_data.json', (j) => (j.networks[1].type = 'ipv6_$(reboot)'));
    const { report } = await apply(d);
    expect(report.warnings.some((w) => /networks\[1\]\.type/.test(w.where))).toBe(true);
    expect(report.interfaces[0]!.summary).toBe('IPv4 dhcp');
  });
});

describe('user_data', () => {
  it('warns about malformed YAML with its line and still applies the rest', async () => {
    const d = drive();
    writeDriveFile(d, 'user_data', '#cloud-config\nhostname: ok\nusers: [\n  - name: x\n');
    const { root, report } = await apply(d);
    expect(report.warnings.some((w) => /user_data: line \d+/.test(w.where) && /invalid YAML/.test(w.message))).toBe(true);
    expect(readFileSync(join(root, 'etc/network/interfaces.d/50-v6agent'), 'utf8')).toContain('inet6 auto');
  });

  it.each([
    ['a shell script', '#!/bin/sh\ntouch /tmp/pwned\n'],
    ['MIME multipart', 'Content-Type: multipart/mixed; boundary="x"\nMIME-Version: 1.0\n\n--x\n'],
    ['gzip', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00])],
  ])('leaves %s alone without error', async (_, content) => {
    const d = drive();
    writeDriveFile(d, 'user_data', content);
    const { report } = await apply(d);
    expect(report.warnings.filter((w) => /user_data/.test(w.where))).toEqual([]);
  });

  it('drops user_data too big to be real (nova caps it at 64 KiB) with a warning, and still configures the network', async () => {
    const d = drive();
    writeDriveFile(d, 'user_data', Buffer.concat([Buffer.from('#cloud-config\nhostname: big\n'), Buffer.alloc(5 * 1024 * 1024, 0x23)]));
    const { root, report } = await apply(d);
    expect(report.warnings.some((w) => /user_data$/.test(w.where) && /dropped: is \d+ bytes, more than/.test(w.message))).toBe(true);
    expect(readFileSync(join(root, 'etc/network/interfaces.d/50-v6agent'), 'utf8')).toContain('inet6 auto');
  });
});

describe('every generated ifcfg file is inert when bash sources it', () => {
  const hostileDrive = (): string => {
    const d = drive('two-nics');
    editJson(d, 'meta_data.json', (j) => (j.hostname = "x'$(touch /tmp/v6agent-pwned)'"));
    editJson(d, 'network_data.json', (j) => (j.networks[1].dns_search = ["a'b", 'ok.example']));
    return d;
  };
  const goldenRhel = readdirSync('test/golden')
    .map((c) => join('test/golden', c, 'expected/rhel/etc/sysconfig/network-scripts'))
    .filter((p) => {
      try {
        return readdirSync(p).length > 0;
      } catch {
        return false;
      }
    });

  async function ifcfgFiles(): Promise<string[]> {
    const { root } = await apply(hostileDrive(), 'rhel', ['fa:16:3e:5c:2a:7e=eth0', 'fa:16:3e:11:22:33=eth1']);
    const dirs = [join(root, 'etc/sysconfig/network-scripts'), ...goldenRhel];
    return dirs.flatMap((dir) => readdirSync(dir).filter((f) => f.startsWith('ifcfg-')).map((f) => join(dir, f)));
  }

  it('passes bash -n', async () => {
    for (const f of await ifcfgFiles()) expect(spawnSync('bash', ['-n', f]).status, f).toBe(0);
  });

  it('defines only quoted KEY=value lines', async () => {
    for (const f of await ifcfgFiles()) {
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        expect(line, f).toMatch(/^[A-Z][A-Z0-9_]*='[^']*'$/);
      }
    }
  });

  it('sets exactly the variables it lists and runs no command under env -i', async () => {
    for (const f of await ifcfgFiles()) {
      // PATH points nowhere: any command the file ran would fail loudly on stderr.
      // Only builtins here, so the script itself needs no PATH.
      const script = 'declare -A seen; v=; seen[seen]=1; for v in $(compgen -v); do seen[$v]=1; done; . "$1"; for v in $(compgen -v); do [[ -z ${seen[$v]} ]] && echo "$v"; done';
      const r = spawnSync('/bin/bash', ['--norc', '--noprofile', '-c', script, 'x', f], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
      expect(r.stderr, f).toBe('');
      const defined = r.stdout.trim().split('\n');
      const listed = readFileSync(f, 'utf8').split('\n').filter((l) => /^[A-Z]/.test(l)).map((l) => l.split('=')[0]);
      expect(defined.sort(), f).toEqual([...listed].sort());
    }
    expect(() => execFileSync('test', ['!', '-e', '/tmp/v6agent-pwned'])).not.toThrow();
  });
});
