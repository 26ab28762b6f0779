import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRouterAdvertisement, encodeRouterSolicitation, RaDecodeError } from '../../agent/ra/codec.js';

const fixture = (name: string): Uint8Array => Buffer.from(readFileSync(`test/fixtures/ra/radvd-${name}.hex`, 'utf8').trim(), 'hex');
const ROUTER_MAC = 'fa:16:3e:aa:bb:01';
const PREFIX = { prefix: '2001:db8:cafe:1::', prefixLength: 64, onLink: true, validLifetime: 86400, preferredLifetime: 14400 };
const METADATA_ROUTE = { prefix: 'fe80::a9fe:a9fe', prefixLength: 128, preference: 'medium', lifetime: 300 };

/** An RA header (16 octets) followed by the given options. */
function ra(flags: number, ...options: number[][]): Uint8Array {
  return new Uint8Array([134, 0, 0, 0, 64, flags, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, ...options.flat()]);
}

describe('decoding real radvd advertisements', () => {
  it('reads a SLAAC router: A=1, M=0, O=0, MTU, metadata route', () => {
    const r = decodeRouterAdvertisement(fixture('slaac'));
    expect(r).toMatchObject({ managed: false, other: false, preference: 'medium', lifetime: 300, mtu: 1450, sourceLinkLayerAddress: ROUTER_MAC });
    expect(r.prefixes).toEqual([{ ...PREFIX, autonomous: true }]);
    expect(r.routes).toEqual([METADATA_ROUTE]);
  });

  it('reads a stateless router: O=1', () => {
    expect(decodeRouterAdvertisement(fixture('dhcpv6-stateless'))).toMatchObject({ managed: false, other: true, prefixes: [{ ...PREFIX, autonomous: true }] });
  });

  it('reads a stateful router: M=1, O=0, prefix not autonomous', () => {
    expect(decodeRouterAdvertisement(fixture('dhcpv6-stateful'))).toMatchObject({ managed: true, other: false, prefixes: [{ ...PREFIX, autonomous: false }] });
  });

  it('reads an unmanaged router: no prefix, no flags', () => {
    expect(decodeRouterAdvertisement(fixture('unmanaged'))).toMatchObject({ managed: false, other: false, prefixes: [], mtu: undefined });
  });

  it('reads RDNSS, DNSSL and a high preference', () => {
    const r = decodeRouterAdvertisement(fixture('slaac-rdnss-dnssl-high'));
    expect(r.preference).toBe('high');
    expect(r.rdnss).toEqual([{ lifetime: 100, servers: ['2001:db8:cafe:a::e', '2001:db8:cafe:a::f'] }]);
    expect(r.dnssl).toEqual([{ lifetime: 100, domains: ['openstacklocal', 'example.org'] }]);
  });
});

describe('decoding edge cases', () => {
  it('treats the reserved preference 10 as medium (RFC 4191)', () => {
    expect(decodeRouterAdvertisement(ra(0x10)).preference).toBe('medium');
    expect(decodeRouterAdvertisement(ra(0x18)).preference).toBe('low');
    expect(decodeRouterAdvertisement(ra(0x08)).preference).toBe('high');
  });

  it('reads H and Proxy flags', () => {
    expect(decodeRouterAdvertisement(ra(0x24))).toMatchObject({ homeAgent: true, proxy: true });
  });

  it('drops the packet on an option of length 0', () => {
    expect(() => decodeRouterAdvertisement(ra(0, [5, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/has length 0/);
  });

  it('rejects an option that runs past the packet', () => {
    expect(() => decodeRouterAdvertisement(ra(0, [3, 4, 64, 0xc0]))).toThrow(RaDecodeError);
  });

  it('rejects a prefix option of the wrong size', () => {
    expect(() => decodeRouterAdvertisement(ra(0, [3, 1, 64, 0xc0, 0, 0, 0, 0]))).toThrow(/not 4/);
  });

  it('ignores a route option with the reserved preference', () => {
    expect(decodeRouterAdvertisement(ra(0, [24, 1, 0, 0x10, 0, 0, 1, 0])).routes).toEqual([]);
  });

  it('rejects a route option too short for its prefix', () => {
    expect(() => decodeRouterAdvertisement(ra(0, [24, 2, 96, 0, 0, 0, 1, 0, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0]))).toThrow(/cannot hold/);
  });

  it('reads PREF64 (RFC 8781) with its scaled lifetime and prefix length code', () => {
    // lifetime 600 s (scaled: 75 << 3), PLC 0 → /96, prefix 64:ff9b::
    const r = decodeRouterAdvertisement(ra(0, [38, 2, 0x02, 0x58, 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(r.pref64).toEqual([{ lifetime: 600, prefix: '64:ff9b::', prefixLength: 96 }]);
  });

  it('ignores PREF64 of the wrong length or an invalid prefix length code', () => {
    expect(decodeRouterAdvertisement(ra(0, [38, 2, 0x02, 0x5f, 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])).pref64).toEqual([]);
  });

  it('skips unknown options', () => {
    expect(decodeRouterAdvertisement(ra(0x80, [200, 1, 1, 2, 3, 4, 5, 6])).managed).toBe(true);
  });

  it('rejects what is not a Router Advertisement', () => {
    expect(() => decodeRouterAdvertisement(new Uint8Array([133, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/not a Router Advertisement/);
    expect(() => decodeRouterAdvertisement(new Uint8Array(8))).toThrow(/too short/);
  });
});

describe('encoding a Router Solicitation', () => {
  it('carries our link-layer address when we have a source address', () => {
    expect([...encodeRouterSolicitation('fa:16:3e:5c:2a:7e')]).toEqual([133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0xfa, 0x16, 0x3e, 0x5c, 0x2a, 0x7e]);
  });

  it('omits it when sent from the unspecified address (RFC 4861 §4.1)', () => {
    expect([...encodeRouterSolicitation(undefined)]).toEqual([133, 0, 0, 0, 0, 0, 0, 0]);
  });
});
