/**
 * The network stack's own files, read as the stack reads them, for settings
 * that undo EUI-64 addressing or the default route. NetworkManager numbers
 * addr-gen-mode differently from the kernel: NM 0 eui64, 1 stable-privacy,
 * 2 default-or-eui64, 3 default (→ the global default, else stable-privacy);
 * the kernel's stable-privacy is 2 (nm-setting-ip6-config.h).
 */
import { parse as parseYaml } from 'yaml';
import type { FileFact, Finding, NmProfileRef, Repair } from '../types.js';
import { ok, problem } from './finding.js';

type Ini = Map<string, Map<string, string>>;

/** keyfile / systemd unit syntax: [section] and key=value; later keys win. */
export function parseIni(text: string): Ini {
  const out: Ini = new Map();
  let section = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = out.get(s[1]!) ?? new Map();
      out.set(s[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) section.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

const under = (files: readonly FileFact[], dir: string, re = /./): FileFact[] => files.filter((f) => f.path.startsWith(`${dir}/`) && re.test(f.path.slice(dir.length + 1)));

function nmGlobal(files: readonly FileFact[]): { addrGenMode?: string; privacy?: string; where?: string } {
  const confs = [...files.filter((f) => f.path === '/etc/NetworkManager/NetworkManager.conf'), ...under(files, '/etc/NetworkManager/conf.d', /\.conf$/).sort((a, b) => a.path.localeCompare(b.path))];
  const g: { addrGenMode?: string; privacy?: string; where?: string } = {};
  for (const f of confs) {
    for (const [name, keys] of parseIni(f.text)) {
      if (!name.startsWith('connection')) continue;
      if (keys.has('ipv6.addr-gen-mode')) Object.assign(g, { addrGenMode: keys.get('ipv6.addr-gen-mode'), where: f.path });
      if (keys.has('ipv6.ip6-privacy')) g.privacy = keys.get('ipv6.ip6-privacy');
    }
  }
  return g;
}

export function networkManagerChecks(files: readonly FileFact[]): Finding[] {
  const out: Finding[] = [];
  const global = nmGlobal(files);
  for (const f of under(files, '/etc/NetworkManager/system-connections')) {
    const ini = parseIni(f.text);
    const iface = ini.get('connection')?.get('interface-name') ?? null;
    const v6 = ini.get('ipv6') ?? new Map<string, string>();
    const where = `${f.path} [ipv6]`;
    // nmcli names the profile by uuid (else id); NetworkManager ignores a keyfile with a bad mode, so nmcli cannot reach it.
    const uuid = ini.get('connection')?.get('uuid');
    const id = ini.get('connection')?.get('id');
    const ref: NmProfileRef | undefined = uuid ? { by: 'uuid', value: uuid } : id ? { by: 'id', value: id } : undefined;
    const usable = (f.mode & 0o077) === 0 && f.uid === 0;
    const nmFix = (key: string, value: string): { fix: string; repairs: Repair[] } =>
      ref && usable
        ? { fix: `nmcli connection modify ${ref.by} ${ref.value} ${key} ${value} && nmcli device reapply ${iface ?? '<iface>'} (in place: the link stays up)`, repairs: [{ kind: 'nm-profile', profile: ref, settings: [[key, value]] }] }
        : { fix: `manual fix: nmcli connection modify <profile> ${key} ${value} && nmcli device reapply ${iface ?? '<iface>'} (or ${key.slice(5)}=${value} in ${f.path})`, repairs: [] };
    if (!usable) {
      out.push(problem('fail', 'nm.keyfile_mode', iface, { observed: `${f.path}: mode ${(f.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${f.uid}`, expected: '0600, owned by root', why: 'NetworkManager ignores keyfiles that others can read or that root does not own: the profile is never used', fix: `manual fix: chown root:root ${f.path} && chmod 600 ${f.path} && nmcli connection reload` }));
    } else out.push(ok('nm.keyfile_mode', iface, `${f.path}: mode 0600, root`, '0600, owned by root'));

    // A keyfile without the key means default-or-eui64; "default" defers to the global default, else stable-privacy.
    const agm = v6.get('addr-gen-mode') ?? 'default-or-eui64';
    const viaGlobal = agm === 'default' || agm === '3' || ((agm === 'default-or-eui64' || agm === '2') && global.addrGenMode !== undefined);
    const effective = viaGlobal ? (global.addrGenMode ?? (agm === 'default' || agm === '3' ? 'stable-privacy' : 'eui64')) : agm;
    const stable = effective === 'stable-privacy' || effective === '1';
    out.push(
      stable
        ? problem('fail', 'nm.addr_gen_mode', iface, { observed: `${where} addr-gen-mode=${v6.get('addr-gen-mode') ?? '(absent)'}${viaGlobal ? ` → ${global.where ?? 'NetworkManager default'}: stable-privacy` : ''}`, expected: 'addr-gen-mode=eui64', why: "stable-privacy addresses (SLAAC and link-local) are not EUI-64 of the MAC: Neutron's port security drops them and the IPv6 metadata service answers 404", ...nmFix('ipv6.addr-gen-mode', 'eui64') })
        : ok('nm.addr_gen_mode', iface, `${where} addr-gen-mode=${v6.get('addr-gen-mode') ?? '(absent: default-or-eui64)'}`, 'eui64'),
    );
    const privacy = v6.get('ip6-privacy') ?? '-1';
    const effPrivacy = privacy === '-1' ? (global.privacy ?? '-1') : privacy;
    out.push(
      effPrivacy === '1' || effPrivacy === '2'
        ? problem('fail', 'nm.ip6_privacy', iface, { observed: `${where} ip6-privacy=${privacy}${privacy !== effPrivacy ? ` (global ${effPrivacy})` : ''}`, expected: 'ip6-privacy=0', why: "NetworkManager adds temporary (privacy) addresses, which Neutron's port security drops (NM: 1 prefer public, 2 prefer temporary)", ...nmFix('ipv6.ip6-privacy', '0') })
        : ok('nm.ip6_privacy', iface, `${where} ip6-privacy=${privacy}`, '0'),
    );
    const method = v6.get('method');
    if (method === 'dhcp')
      out.push(problem('fail', 'nm.method', iface, { observed: `${where} method=dhcp`, expected: 'method=auto', why: 'method=dhcp ignores Router Advertisements: DHCPv6 gives no route, so there is no IPv6 default route', fix: `manual fix: nmcli connection modify <profile> ipv6.method auto && nmcli device reapply ${iface ?? '<iface>'}` }));
    else if (method) out.push(ok('nm.method', iface, `${where} method=${method}`, 'not dhcp'));
  }
  return out;
}

export function netplanChecks(files: readonly FileFact[]): Finding[] {
  const out: Finding[] = [];
  for (const f of under(files, '/etc/netplan', /\.ya?ml$/)) {
    let doc: { network?: Record<string, unknown> } | undefined;
    try {
      doc = parseYaml(f.text) as typeof doc;
    } catch {
      out.push(problem('warn', 'netplan.parse', null, { observed: `${f.path}: not valid YAML`, expected: 'valid YAML', why: 'netplan generate fails and configures nothing', fix: `manual fix: netplan get / repair ${f.path}` }));
      continue;
    }
    for (const kind of ['ethernets', 'bonds', 'vlans', 'bridges']) {
      const defs = (doc?.network?.[kind] ?? {}) as Record<string, Record<string, unknown>>;
      for (const [id, def] of Object.entries(defs)) {
        if (!def || typeof def !== 'object') continue;
        const gen = def['ipv6-address-generation'];
        out.push(
          gen === 'stable-privacy'
            ? problem('fail', 'netplan.address_generation', id, { observed: `${f.path}: ${kind}.${id}.ipv6-address-generation: stable-privacy`, expected: 'eui64 (or absent)', why: "SLAAC addresses are then not EUI-64 of the MAC: Neutron's port security drops them", fix: `manual fix: set ipv6-address-generation: eui64 in ${f.path}, then netplan apply` })
            : ok('netplan.address_generation', id, `${f.path}: ${kind}.${id}.ipv6-address-generation: ${String(gen ?? '(absent)')}`, 'eui64'),
        );
        const priv = def['ipv6-privacy'];
        out.push(
          priv === true
            ? problem('fail', 'netplan.privacy', id, { observed: `${f.path}: ${kind}.${id}.ipv6-privacy: true`, expected: 'false (or absent)', why: "temporary addresses are dropped by Neutron's port security", fix: `manual fix: remove ipv6-privacy: true from ${f.path}, then netplan apply` })
            : ok('netplan.privacy', id, `${f.path}: ${kind}.${id}.ipv6-privacy: ${String(priv ?? '(absent)')}`, 'false'),
        );
      }
    }
  }
  return out;
}

/**
 * A .network file with its drop-ins applied: NAME.network.d/*.conf from /etc and /run, in file-name
 * order, /etc's hiding a same-named one in /run; later keys win (systemd.network(5)).
 */
function withDropins(files: readonly FileFact[], f: FileFact): { ini: Ini; from: Map<string, string> } {
  const ini = parseIni(f.text);
  const from = new Map<string, string>();
  const base = f.path.slice(f.path.lastIndexOf('/') + 1);
  const byName = new Map<string, FileFact>();
  for (const dir of ['/run/systemd/network', '/etc/systemd/network']) for (const d of under(files, `${dir}/${base}.d`, /\.conf$/)) byName.set(d.path.slice(d.path.lastIndexOf('/') + 1), d);
  for (const name of [...byName.keys()].sort()) {
    const d = byName.get(name)!;
    for (const [section, keys] of parseIni(d.text)) {
      const into = ini.get(section) ?? new Map<string, string>();
      ini.set(section, into);
      for (const [k, v] of keys) {
        into.set(k, v);
        from.set(`${section}.${k}`, d.path);
      }
    }
  }
  return { ini, from };
}

export function networkdChecks(files: readonly FileFact[]): Finding[] {
  const out: Finding[] = [];
  for (const f of [...under(files, '/etc/systemd/network', /\.network$/), ...under(files, '/run/systemd/network', /\.network$/)]) {
    const { ini, from } = withDropins(files, f);
    const iface = ini.get('Match')?.get('Name') ?? null;
    const net = ini.get('Network') ?? new Map<string, string>();
    const seen = (key: string, value: string | undefined) => `${from.get(`Network.${key}`) ?? f.path} [Network] ${key}=${value ?? '(absent)'}`;
    const reload = `networkctl reload && networkctl reconfigure ${iface ?? '<iface>'}`;
    const dropin = (key: string, value: string): { fix: string; repairs: Repair[] } => ({
      fix: `${key}=${value} in /etc/systemd/network/${f.path.slice(f.path.lastIndexOf('/') + 1)}.d/60-v6agent-doctor.conf, then ${reload}`,
      repairs: [{ kind: 'networkd-dropin', network: f.path, iface, settings: [[key, value]] }],
    });
    const priv = net.get('IPv6PrivacyExtensions');
    out.push(
      priv && /^(yes|true|1|on|prefer-public)$/i.test(priv)
        ? problem('fail', 'networkd.privacy', iface, { observed: seen('IPv6PrivacyExtensions', priv), expected: 'IPv6PrivacyExtensions=no', why: "temporary addresses are dropped by Neutron's port security", ...dropin('IPv6PrivacyExtensions', 'no') })
        : ok('networkd.privacy', iface, `${from.get('Network.IPv6PrivacyExtensions') ?? f.path} IPv6PrivacyExtensions=${priv ?? '(absent: no)'}`, 'no'),
    );
    const ll = net.get('IPv6LinkLocalAddressGenerationMode');
    const token = ini.get('IPv6AcceptRA')?.get('Token') ?? net.get('IPv6Token');
    const badLl = ll && /^(stable-privacy|random)$/.test(ll);
    const badToken = token && /prefixstable/.test(token);
    out.push(
      badLl || badToken
        ? problem('fail', 'networkd.address_generation', iface, {
            observed: badLl ? seen('IPv6LinkLocalAddressGenerationMode', ll) : `${f.path} Token=${token}`,
            expected: badLl ? 'IPv6LinkLocalAddressGenerationMode=eui64' : 'Token=eui64',
            why: "the address is not EUI-64 of the MAC: Neutron's port security drops it, and a non-EUI-64 link-local gets 404 from the IPv6 metadata service",
            // A Token= list is the file's own business (an empty Token= resets it): only the link-local mode is overridden.
            ...(badLl ? dropin('IPv6LinkLocalAddressGenerationMode', 'eui64') : { fix: `manual fix: remove the Token= in ${f.path}, then ${reload}` }),
          })
        : ok('networkd.address_generation', iface, `${from.get('Network.IPv6LinkLocalAddressGenerationMode') ?? f.path} link-local ${ll ?? 'eui64'}, token ${token ?? 'eui64'}`, 'eui64'),
    );
  }
  return out;
}

/** ifcfg files are shell assignments; quotes are stripped. */
function shellVars(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.trim().replace(/^(["'])(.*)\1$/, '$2'));
  }
  return out;
}

export function ifcfgChecks(files: readonly FileFact[]): Finding[] {
  const out: Finding[] = [];
  for (const f of under(files, '/etc/sysconfig/network-scripts', /^ifcfg-/)) {
    const v = shellVars(f.text);
    const iface = v.get('DEVICE') ?? f.path.replace(/.*ifcfg-/, '');
    const priv = v.get('IPV6_PRIVACY');
    out.push(
      priv && /^(rfc3041|rfc4941|yes)$/i.test(priv)
        ? problem('fail', 'ifcfg.privacy', iface, { observed: `${f.path}: IPV6_PRIVACY=${priv}`, expected: 'IPV6_PRIVACY=no (or absent)', why: "temporary addresses are dropped by Neutron's port security", fix: `manual fix: remove IPV6_PRIVACY from ${f.path}, then ifup ${iface}` })
        : ok('ifcfg.privacy', iface, `${f.path}: IPV6_PRIVACY=${priv ?? '(absent)'}`, 'no'),
    );
    const agm = v.get('IPV6_ADDR_GEN_MODE');
    if (agm === 'stable-privacy') out.push(problem('fail', 'ifcfg.addr_gen_mode', iface, { observed: `${f.path}: IPV6_ADDR_GEN_MODE=stable-privacy`, expected: 'IPV6_ADDR_GEN_MODE=eui64', why: "NetworkManager then forms stable-privacy addresses, which Neutron's port security drops", fix: `manual fix: IPV6_ADDR_GEN_MODE=eui64 in ${f.path}, then nmcli connection reload` }));
    if (v.get('IPV6_AUTOCONF') === 'no' && v.get('DHCPV6C') === 'yes' && !v.get('IPV6_DEFAULTGW'))
      out.push(problem('warn', 'ifcfg.method', iface, { observed: `${f.path}: IPV6_AUTOCONF=no with DHCPV6C=yes`, expected: 'IPV6_AUTOCONF=yes', why: "NetworkManager reads this as ipv6.method=dhcp and ignores RAs: no IPv6 default route", fix: `manual fix: IPV6_AUTOCONF=yes in ${f.path} (DHCPv6 still runs when the router sets M)` }));
  }
  return out;
}

export function ifupdownChecks(files: readonly FileFact[]): Finding[] {
  const out: Finding[] = [];
  for (const f of [...files.filter((x) => x.path === '/etc/network/interfaces'), ...under(files, '/etc/network/interfaces.d')]) {
    let iface: string | null = null;
    let inet6 = false;
    for (const raw of f.text.split('\n')) {
      const words = raw.trim().split(/\s+/);
      if (words[0] === 'iface') {
        iface = words[1] ?? null;
        inet6 = words[2] === 'inet6';
        continue;
      }
      if (inet6 && words[0] === 'privext' && words[1] !== '0')
        out.push(problem('fail', 'ifupdown.privext', iface, { observed: `${f.path}: iface ${iface} inet6 … privext ${words[1]}`, expected: 'privext 0 (or absent)', why: "temporary addresses are dropped by Neutron's port security", fix: `manual fix: remove privext from ${f.path}, then ifdown ${iface} && ifup ${iface}` }));
    }
  }
  return out;
}
