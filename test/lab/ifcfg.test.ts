/**
 * No RHEL network service runs on Debian, so for ifcfg we prove what can be
 * proven here: for every mode, the file dist/v6agent writes, sourced by bash
 * under env -i as initscripts does, sets exactly the values the README's table
 * promises (and bad-input.test.ts proves hostile drives stay inert).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../bin.js';
import { writeLabDrive, STATIC_ADDRESS, STATIC_MTU, STATIC_ROUTE } from './drive.js';
import { ROUTER_V6, type LabMode } from './lab.js';

const MAC = 'fa:16:3e:5c:a0:01';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The variables an ifcfg file defines, as bash sees them after sourcing it with an empty environment. */
function sourced(file: string): Record<string, string> {
  const script = 'declare -A seen; v=; seen[seen]=1; for v in $(compgen -v); do seen[$v]=1; done; . "$1"; for v in $(compgen -v); do [[ -z ${seen[$v]} ]] && printf "%s=%s\\n" "$v" "${!v}"; done';
  const r = spawnSync('/bin/bash', ['--norc', '--noprofile', '-c', script, 'x', file], { env: {}, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

function render(mode: LabMode, ipv4: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'v6agent-ifcfg-'));
  dirs.push(dir);
  const drive = writeLabDrive(join(dir, 'drive'), { mode, ipv4, mac: MAC });
  mkdirSync(join(dir, 'root')); // --root must be an existing directory
  const r = spawnSync(BIN, ['apply', '--config-drive', drive, '--root', join(dir, 'root'), '--distro', 'rocky', '--stack', 'ifcfg', '--iface', `${MAC}=eth0`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return join(dir, 'root/etc/sysconfig/network-scripts');
}

/** What each mode needs, as README's table says. `null` means the key must be absent. */
const EXPECTED: Record<LabMode, Record<string, string | null>> = {
  slaac: { IPV6_AUTOCONF: 'yes', DHCPV6C: null, DHCPV6C_OPTIONS: null, IPV6ADDR: null },
  'dhcpv6-stateless': { IPV6_AUTOCONF: 'yes', DHCPV6C: 'yes', DHCPV6C_OPTIONS: '-S', IPV6ADDR: null },
  // IPV6_AUTOCONF=yes keeps NetworkManager on method "auto", so the RA's default route stays.
  'dhcpv6-stateful': { IPV6_AUTOCONF: 'yes', DHCPV6C: 'yes', DHCPV6C_OPTIONS: null, IPV6ADDR: null },
  static: { IPV6_AUTOCONF: 'no', DHCPV6C: null, IPV6ADDR: `${STATIC_ADDRESS}/64`, IPV6_DEFAULTGW: ROUTER_V6, IPV6_FORCE_ACCEPT_RA: 'yes', MTU: String(STATIC_MTU) },
};

describe.each([
  { stack: 'dual-stack', ipv4: true },
  { stack: 'IPv6-only', ipv4: false },
])('ifcfg-eth0 sourced by bash ($stack)', ({ ipv4 }) => {
  it.each(Object.keys(EXPECTED) as LabMode[])('%s sets the values the mode needs', (mode) => {
    const dir = render(mode, ipv4);
    const vars = sourced(join(dir, 'ifcfg-eth0'));
    expect(vars).toMatchObject({ DEVICE: 'eth0', HWADDR: MAC, ONBOOT: 'yes', IPV6INIT: 'yes', IPV6_ADDR_GEN_MODE: 'eui64', IPV6_PRIVACY: 'no' });
    expect(vars.BOOTPROTO).toBe(ipv4 ? 'dhcp' : 'none');
    expect(vars.IPADDR).toBeUndefined();
    for (const [key, value] of Object.entries(EXPECTED[mode])) {
      if (value === null) expect(vars[key], key).toBeUndefined();
      else expect(vars[key], key).toBe(value);
    }
    if (mode === 'static') {
      expect(readFileSync(join(dir, 'route6-eth0'), 'utf8')).toContain(`${STATIC_ROUTE.network}/${STATIC_ROUTE.prefix} via ${STATIC_ROUTE.gateway} dev eth0\n`);
    }
  });
});
