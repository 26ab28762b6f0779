/**
 * Fuzzing the RA decoder: random bytes and mutations of real radvd
 * advertisements (bit flips, truncation, length fields, spliced options).
 * The decoder may return or throw RaDecodeError, nothing else; and it must
 * accept exactly the packets an independent structural check (./raOracle.ts)
 * calls well formed, with one decoded entry per counted option.
 * 100,000 packets in `npm test`; `npm run fuzz` runs 1,000,000.
 * Seeded, so a failure reproduces: FUZZ_SEED=n FUZZ_RUNS=n to vary.
 */
import { isIPv6 } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { decodeRouterAdvertisement, RaDecodeError, type RouterAdvertisement } from '../../agent/ra/codec.js';
import { expectedShape } from './raOracle.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x6a6e);

/** mulberry32: small, fast, and good enough to drive mutations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seeds = readdirSync('test/fixtures/ra')
  .filter((f) => f.endsWith('.hex'))
  .map((f) => Buffer.from(readFileSync(`test/fixtures/ra/${f}`, 'utf8').trim(), 'hex'));

function mutate(random: () => number): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  const kind = int(6);
  if (kind === 0) {
    const b = new Uint8Array(int(256));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    if (b.length > 1 && random() < 0.7) (b[0] = 134), (b[1] = 0);
    return b;
  }
  const b = Uint8Array.from(seeds[int(seeds.length)]!);
  const flips = 1 + int(8);
  for (let i = 0; i < flips; i++) {
    const at = int(b.length);
    switch (kind) {
      case 1:
        b[at]! ^= 1 << int(8);
        break;
      case 2:
        b[at] = int(256);
        break;
      case 3: {
        // Hit option type/length fields, which decide how everything after is read.
        const opt = 16 + 8 * int(Math.max(1, (b.length - 16) >> 3));
        if (opt + 1 < b.length) b[opt + int(2)] = int(256);
        break;
      }
      default:
        break;
    }
  }
  if (kind === 4) return b.subarray(0, int(b.length + 1));
  if (kind === 5) {
    const other = seeds[int(seeds.length)]!;
    const cut = int(other.length);
    return Uint8Array.from([...b.subarray(0, 16 + int(b.length - 15)), ...other.subarray(cut)]);
  }
  return b;
}

/** What the decoder returned, in the oracle's terms; `undefined` when it rejected the packet. */
function shapeOf(ra: RouterAdvertisement) {
  return { prefixes: ra.prefixes.length, routes: ra.routes.length, rdnss: ra.rdnss.map((r) => r.servers.length), dnssl: ra.dnssl.length, pref64: ra.pref64.length, mtu: ra.mtu !== undefined };
}

function addressesOf(ra: RouterAdvertisement): string[] {
  return [...ra.prefixes.map((p) => p.prefix), ...ra.routes.map((r) => r.prefix), ...ra.rdnss.flatMap((r) => r.servers), ...ra.pref64.map((p) => p.prefix)];
}

it(`decodes ${RUNS.toLocaleString('en')} fuzzed packets exactly when they are well formed, and never throws anything but RaDecodeError`, () => {
  const random = rng(SEED);
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < RUNS; i++) {
    const packet = mutate(random);
    const where = () => `run ${i} (seed ${SEED}) on ${Buffer.from(packet).toString('hex')}`;
    let ra: RouterAdvertisement | undefined;
    try {
      ra = decodeRouterAdvertisement(packet);
      decoded++;
    } catch (e) {
      if (!(e instanceof RaDecodeError)) throw new Error(`${where()}: ${String(e)}`);
      rejected++;
    }
    const want = expectedShape(packet);
    const got = ra && shapeOf(ra);
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${where()}: decoder gave ${JSON.stringify(got)}, a well-formed reading gives ${JSON.stringify(want)}`);
    const bad = ra && addressesOf(ra).find((a) => !isIPv6(a));
    if (bad !== undefined) throw new Error(`${where()}: decoded address ${bad} is not IPv6 text`);
  }
  console.log(`fuzz: ${decoded} decoded, ${rejected} rejected with RaDecodeError`);
  // Both paths exercised: the mutations neither all break nor all spare the packets.
  expect(decoded).toBeGreaterThan(RUNS / 100);
  expect(rejected).toBeGreaterThan(RUNS / 100);
}, 600_000);
