/**
 * The guest's own /etc, /root and /home: a minimal Debian-like tree the lab
 * writes itself, so nothing a guest command reads or writes is the host's.
 * Only what the guest's programs need: ifupdown (interfaces, its hook dirs),
 * dhclient and Debian's dhclient-script (dhclient.conf, hook dirs, fstab,
 * which dhclient-script reads before it writes resolv.conf), the resolver
 * (nsswitch.conf, hosts), users (passwd, group), os-release for v6agent.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The user a drive's keys go to on Debian, with a home inside the guest. */
export const GUEST_USER = { name: 'debian', uid: 1000, gid: 1000, home: '/home/debian' } as const;

const FILES: Record<string, string> = {
  'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
  'etc/passwd': `root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n${GUEST_USER.name}:x:${GUEST_USER.uid}:${GUEST_USER.gid}:Debian:${GUEST_USER.home}:/bin/sh\n`,
  'etc/group': `root:x:0:\nnogroup:x:65534:\n${GUEST_USER.name}:x:${GUEST_USER.gid}:\n`,
  'etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\nnetworks: files\n',
  'etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
  'etc/hostname': 'localhost\n',
  // dhclient-script's wait_for_rw reads it (a missing file ends the script before resolv.conf is written).
  'etc/fstab': '# the lab guest has no filesystems of its own\n',
  // As Debian's ifupdown package ships it.
  'etc/network/interfaces': 'source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n',
  // As Debian's isc-dhcp-client ships it (comments left out).
  'etc/dhcp/dhclient.conf': [
    'option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;',
    'send host-name = gethostname();',
    'request subnet-mask, broadcast-address, time-offset, routers,',
    '\tdomain-name, domain-name-servers, domain-search, host-name,',
    '\tdhcp6.name-servers, dhcp6.domain-search, dhcp6.fqdn, dhcp6.sntp-servers,',
    '\tnetbios-name-servers, netbios-scope, interface-mtu,',
    '\trfc3442-classless-static-routes, ntp-servers;',
    '',
  ].join('\n'),
  // What a freshly booted guest has before anything configured DNS.
  'etc/resolv.conf': '',
};

const DIRS = [
  'etc/network/interfaces.d',
  ...['if-pre-up.d', 'if-up.d', 'if-down.d', 'if-post-down.d'].map((d) => `etc/network/${d}`),
  'etc/dhcp/dhclient-enter-hooks.d',
  'etc/dhcp/dhclient-exit-hooks.d',
  'etc/sysctl.d',
  'root',
  'home',
];

/** Write the seed under `root` (the tree `v6agent apply --root` renders into and the guest mounts). */
export function seedGuestTree(root: string): void {
  for (const d of DIRS) mkdirSync(join(root, d), { recursive: true });
  for (const [path, text] of Object.entries(FILES)) writeFileSync(join(root, path), text);
  mkdirSync(join(root, GUEST_USER.home.slice(1)), { recursive: true, mode: 0o755 });
  // An ifupdown image: networking.service enabled, as `systemctl enable` leaves it (v6agent detects the stack by this).
  mkdirSync(join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  symlinkSync('/lib/systemd/system/networking.service', join(root, 'etc/systemd/system/multi-user.target.wants/networking.service'));
}

/** Guest paths that are the lab's own tree (bind-mounted from `root/<path>`). */
export const PRIVATE_TREES = ['/etc', '/root', '/home'] as const;
