/**
 * sysctl.d at boot: systemd-sysctl (and `sysctl --system`) read every *.conf
 * of /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d
 * and /lib/sysctl.d, a name in an earlier directory hiding the same name in a
 * later one, in name order, then /etc/sysctl.conf; the last value set wins.
 * A file after v6agent's 60-v6agent-IFACE.conf that sets privacy back wins.
 */
import type { FileFact, Finding } from '../types.js';
import { ok, problem } from './finding.js';

export const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];

/** The files in the order they are applied. */
export function sysctlOrder(files: readonly FileFact[]): FileFact[] {
  const byName = new Map<string, FileFact>();
  for (const dir of SYSCTL_DIRS) {
    for (const f of files) {
      const name = f.path.slice(dir.length + 1);
      if (f.path.startsWith(`${dir}/`) && !name.includes('/') && name.endsWith('.conf') && !byName.has(name)) byName.set(name, f);
    }
  }
  const ordered = [...byName.keys()].sort().map((n) => byName.get(n)!);
  const main = files.find((f) => f.path === '/etc/sysctl.conf');
  return main ? [...ordered, main] : ordered;
}

export function sysctlFileChecks(files: readonly FileFact[]): Finding[] {
  const last = new Map<string, { iface: string; key: string; value: string; file: string }>();
  for (const f of sysctlOrder(files)) {
    for (const raw of f.text.split('\n')) {
      const line = raw.trim().replace(/^-/, '');
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      // A "/"-form key keeps dots in the interface name; a "."-form key cannot name eth0.100.
      const m = key.includes('/') ? /^net\/ipv6\/conf\/([^/]+)\/(use_tempaddr|addr_gen_mode)$/.exec(key) : /^net\.ipv6\.conf\.([^.]+)\.(use_tempaddr|addr_gen_mode)$/.exec(key);
      if (!m) continue;
      if (m[1] === 'all') continue; // per-interface values are what the kernel uses for these two
      last.set(`${m[1]}/${m[2]}`, { iface: m[1]!, key: m[2]!, value: line.slice(eq + 1).trim(), file: f.path });
    }
  }
  const out: Finding[] = [];
  for (const s of last.values()) {
    if (s.value === '0') continue;
    const iface = s.iface === 'default' || s.iface === '*' ? null : s.iface;
    const ours = `/etc/sysctl.d/60-v6agent-${s.iface}.conf`;
    out.push(
      problem(iface ? 'fail' : 'warn', 'sysctl.persistent', iface, {
        observed: `${s.file}: net.ipv6.conf.${s.iface}.${s.key} = ${s.value}, and it is applied last`,
        expected: `net.ipv6.conf.${s.iface}.${s.key} = 0`,
        why: iface
          ? `at boot this undoes v6agent's ${ours}: ${s.key === 'use_tempaddr' ? 'temporary' : 'stable-privacy'} addresses come back and Neutron drops them`
          : `every new interface (and NetworkManager's fallback) starts with ${s.key === 'use_tempaddr' ? 'temporary' : 'stable-privacy'} addresses`,
        fix: `manual fix: remove the line from ${s.file} (or give it a value of 0)`,
      }),
    );
  }
  if (!out.length) out.push(ok('sysctl.persistent', null, 'no sysctl.d file sets use_tempaddr or addr_gen_mode against EUI-64', 'no privacy setting wins at boot'));
  return out;
}
