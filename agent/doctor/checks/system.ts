/** Checks of the VM as a whole: DNS, the metadata service setup, Docker. */
import { hasIpv4 } from '../../model/instance.js';
import type { Facts, FileFact, Finding } from '../types.js';
import { ok, problem } from './finding.js';

/** IPv6-only: nothing IPv4 beyond loopback live; under --root, a drive with no IPv4 network. */
export function ipv6Only(facts: Facts): boolean | undefined {
  if (facts.live) return facts.live.ipv4Addresses === 0 && !facts.live.routes.some((r) => r.family === 4 && r.dstLength === 0);
  return facts.declared ? !hasIpv4(facts.declared) : undefined;
}

const file = (facts: Facts, path: string): FileFact | undefined => facts.files.find((f) => f.path === path);

export function dnsChecks(facts: Facts): Finding[] {
  const r = facts.resolv;
  if (!r) return [];
  const out: Finding[] = [];
  const v6 = r.nameservers.filter((n) => n.includes(':'));
  const stub = r.nameservers.some((n) => n.startsWith('127.'));
  if (ipv6Only(facts)) {
    out.push(
      v6.length === 0 && !stub
        ? problem('fail', 'dns.ipv6', null, { observed: `/etc/resolv.conf: ${r.nameservers.length ? `nameserver ${r.nameservers.join(', ')}` : 'no nameserver'}`, expected: 'an IPv6 nameserver', why: 'this VM has no IPv4: names cannot be resolved (SLAAC subnets carry no DNS unless the router sends RDNSS)', fix: "manual fix: v6agent apply writes the drive's nameservers; or add `nameserver <IPv6 address>`" })
        : ok('dns.ipv6', null, `/etc/resolv.conf: nameserver ${r.nameservers.join(', ')}`, 'an IPv6 nameserver'),
    );
  }
  const declared = facts.declared?.dns.nameservers ?? [];
  if (declared.length && !stub) {
    const missing = declared.filter((d) => !r.nameservers.includes(d));
    out.push(
      missing.length === declared.length && r.owner !== 'file'
        ? problem('warn', 'dns.owner', null, { observed: `/etc/resolv.conf is managed by ${r.owner} and lacks the drive's ${declared.join(', ')}`, expected: "the drive's nameservers", why: `${r.owner} rewrites resolv.conf and drops the servers the drive declares`, fix: "manual fix: v6agent apply configures DNS through the owner; or give the owner the drive's servers" })
        : missing.length === declared.length
          ? problem('warn', 'dns.owner', null, { observed: `/etc/resolv.conf lacks the drive's ${declared.join(', ')}${r.ours ? '' : ' (not written by v6agent)'}`, expected: "the drive's nameservers", why: 'a DHCP client or another tool overwrote the servers the drive declares', fix: 'manual fix: v6agent apply' })
          : ok('dns.owner', null, `/etc/resolv.conf (${r.owner}) has ${declared.filter((d) => !missing.includes(d)).join(', ')}`, "the drive's nameservers"),
    );
  }
  return out;
}

/** cloud-init's OpenStack datasource waiting on 169.254.169.254 only, on a VM without IPv4. */
export function metadataChecks(facts: Facts): Finding[] {
  if (ipv6Only(facts) !== true) return [];
  const cfgs = facts.files.filter((f) => f.path === '/etc/cloud/cloud.cfg' || f.path.startsWith('/etc/cloud/cloud.cfg.d/'));
  const v4only = cfgs.filter((f) => /metadata_urls/.test(f.text) && /169\.254\.169\.254/.test(f.text) && !/fe80::a9fe:a9fe/i.test(f.text));
  if (!cfgs.length) return [];
  return [
    v4only.length
      ? problem('fail', 'metadata.cloud_init', null, { observed: `${v4only.map((f) => f.path).join(', ')}: metadata_urls has only 169.254.169.254`, expected: 'fe80::a9fe:a9fe in metadata_urls, or a config drive', why: 'this VM has no IPv4: cloud-init waits for a metadata service it cannot reach, and boot stalls', fix: "manual fix: add 'http://[fe80::a9fe:a9fe%25<iface>]' to metadata_urls, or use a config drive" })
      : ok('metadata.cloud_init', null, 'cloud-init does not wait on an IPv4-only metadata URL', 'no IPv4-only metadata_urls'),
  ];
}

/** With no config drive, the IPv6 metadata service must answer: 404 means it could not identify the port. */
export function metadataServiceChecks(facts: Facts): Finding[] {
  const out: Finding[] = [];
  for (const i of facts.live?.interfaces ?? []) {
    const m = i.metadata;
    if (!m) continue;
    const name = i.link.name;
    const url = `http://[fe80::a9fe:a9fe%${name}]/openstack`;
    if ('error' in m)
      out.push(problem('fail', 'metadata.service', name, { observed: `no config drive, and ${url}: ${m.error}`, expected: 'an answer from the metadata service', why: 'without a config drive the instance (keys, network, user data) comes only from the metadata service', fix: 'manual fix: attach a config drive, or check the route to fe80::a9fe:a9fe (see route.metadata, sysctl.accept_ra_rt_info_max_plen) and that the cloud serves IPv6 metadata (Neutron ≥ 17, OVN ≥ 24)' }));
    else if (m.status === 404)
      out.push(problem('fail', 'metadata.service', name, { observed: `no config drive, and ${url} answers 404`, expected: '200', why: "the metadata proxy identifies the port from the EUI-64 link-local the request comes from; a stable-privacy or random link-local is not found", fix: 'see address.link_local and sysctl.addr_gen_mode; the request must come from the EUI-64 link-local of the MAC' }));
    else if (m.status >= 400)
      out.push(problem('warn', 'metadata.service', name, { observed: `no config drive, and ${url} answers ${m.status}`, expected: '200', why: 'the metadata service refuses the request', fix: 'manual fix: ask the cloud operator (a 5xx is the service, not this VM)' }));
    else out.push(ok('metadata.service', name, `${url} answers ${m.status}`, 'an answer from the metadata service'));
  }
  return out;
}

export function dockerChecks(facts: Facts): Finding[] {
  const f = file(facts, '/etc/docker/daemon.json');
  if (!f || ipv6Only(facts) !== true) return [];
  let cfg: Record<string, unknown> = {};
  try {
    cfg = JSON.parse(f.text) as Record<string, unknown>;
  } catch {
    return [problem('warn', 'docker.ipv6', null, { observed: `${f.path}: not valid JSON`, expected: '"ipv6": true and "fixed-cidr-v6"', why: 'dockerd will not start with it', fix: `manual fix: repair ${f.path}` })];
  }
  const good = cfg.ipv6 === true && typeof cfg['fixed-cidr-v6'] === 'string';
  return [
    good
      ? ok('docker.ipv6', null, `${f.path}: ipv6 true, fixed-cidr-v6 ${String(cfg['fixed-cidr-v6'])}`, '"ipv6": true and "fixed-cidr-v6"')
      : problem('warn', 'docker.ipv6', null, { observed: `${f.path}: ${cfg.ipv6 === true ? '' : 'no "ipv6": true'}${cfg.ipv6 !== true && typeof cfg['fixed-cidr-v6'] !== 'string' ? ', ' : ''}${typeof cfg['fixed-cidr-v6'] === 'string' ? '' : 'no "fixed-cidr-v6"'}`, expected: '"ipv6": true and "fixed-cidr-v6"', why: 'this VM has no IPv4: containers get no connectivity at all', fix: `manual fix: set "ipv6": true and "fixed-cidr-v6": "<a /64 routed to this VM>" in ${f.path}, then restart docker` }),
  ];
}
