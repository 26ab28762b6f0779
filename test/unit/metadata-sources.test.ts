/** The pure parts around the metadata sources: fallback model, cache, IPv4 presence. */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fallbackInstance, FALLBACK_SOURCE } from '../../agent/model/fallback.js';
import { cacheFile, readCache } from '../../agent/sources/instanceCache.js';
import { writeCache } from '../../agent/apply/cache.js';
import { hasIpv4Route } from '../../agent/sources/serviceLink.js';
import { formatAttempt } from '../../agent/sources/timeline.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'v6meta-'));

describe('fallback configuration', () => {
  it('gives every NIC IPv6 autoconfiguration (mode left to the router) and only the first DHCPv4', () => {
    const i = fallbackInstance([{ name: 'eth0', mac: 'fa:16:3e:00:00:01' }, { name: 'eth1', mac: 'fa:16:3e:00:00:02' }]);
    expect(i.source).toBe(FALLBACK_SOURCE);
    expect(i.interfaces.map((x) => [x.name, x.ipv4?.method, x.ipv6?.mode])).toEqual([
      ['eth0', 'dhcp', 'dhcp-unknown'],
      ['eth1', undefined, 'dhcp-unknown'],
    ]);
  });

  it('invents no host name, keys or DNS, and leaves /etc/hosts alone', () => {
    expect(fallbackInstance([])).toMatchObject({ hostname: undefined, fqdn: undefined, sshKeys: [], dns: { nameservers: [], search: [] }, manageEtcHosts: false });
  });
});

describe('instance cache', () => {
  const instance = { ...fallbackInstance([]), uuid: '6F1C2B1E-0D3A-4C55-9E77-00000000A9FE', source: 'x' };

  it('checks the instance id against DMI product_uuid, case-insensitively', () => {
    expect(cacheFile(instance, new Date(0), '6f1c2b1e-0d3a-4c55-9e77-00000000a9fe').dmi).toEqual({ productUuid: '6f1c2b1e-0d3a-4c55-9e77-00000000a9fe', matches: true });
    expect(cacheFile(instance, new Date(0), '00000000-0000-0000-0000-000000000000').dmi.matches).toBe(false);
    expect(cacheFile(instance, new Date(0), undefined).dmi.matches).toBeUndefined();
  });

  it('is written 0600 and read back', () => {
    const path = join(tmp(), 'v6agent', 'instance.json');
    writeCache(cacheFile(instance, new Date(0), undefined), path);
    expect(readCache(path)).toMatchObject({ version: 1, instanceId: instance.uuid, instance: { source: 'x' } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('names the file when it is missing or not ours', () => {
    const d = tmp();
    expect(() => readCache(join(d, 'none.json'))).toThrow(/none\.json: not found: no apply has run on this boot/);
    writeFileSync(join(d, 'x.json'), '{"version": 9}');
    expect(() => readCache(join(d, 'x.json'))).toThrow(/x\.json: version: is not a version 1 v6agent cache/);
  });
});

describe('IPv4 presence', () => {
  const route = (lines: string[]): string => {
    const p = join(tmp(), 'route');
    writeFileSync(p, ['Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT', ...lines, ''].join('\n'));
    return p;
  };
  it('is a route on an interface other than lo', () => {
    expect(hasIpv4Route(route([]))).toBe(false);
    expect(hasIpv4Route(route(['lo\t0000007F\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0']))).toBe(false);
    expect(hasIpv4Route(route(['eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0']))).toBe(true);
  });
  it('is absent when /proc/net/route cannot be read', () => {
    expect(hasIpv4Route('/nonexistent/route')).toBe(false);
  });
});

describe('timeline', () => {
  it('prints one aligned line per attempt', () => {
    expect(formatAttempt({ source: 'ipv6', where: 'eth0', step: 'GET /openstack', atMs: 12.3, ms: 4.4, result: '200' })).toBe('    12 ms  ipv6  eth0     GET /openstack: 200 (4 ms)');
  });
});
