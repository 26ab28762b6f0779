/**
 * Fuzzing the RA decoder: 1,000,000 packets — random bytes and mutations of
 * real radvd advertisements (bit flips, truncation, length fields, spliced
 * options). The decoder may return or throw RaDecodeError; nothing else.
 * Seeded, so a failure reproduces: FUZZ_SEED=n FUZZ_RUNS=n to vary.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { decodeRouterAdvertisement, RaDecodeError } from '../../agent/ra/codec.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1_000_000);
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

it(`decodes ${RUNS.toLocaleString('en')} fuzzed packets without any exception but RaDecodeError`, () => {
  const random = rng(SEED);
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < RUNS; i++) {
    const packet = mutate(random);
    try {
      decodeRouterAdvertisement(packet);
      decoded++;
    } catch (e) {
      if (!(e instanceof RaDecodeError)) throw new Error(`run ${i} (seed ${SEED}): ${String(e)} on ${Buffer.from(packet).toString('hex')}`);
      rejected++;
    }
  }
  console.log(`fuzz: ${decoded} decoded, ${rejected} rejected with RaDecodeError`);
  expect(decoded + rejected).toBe(RUNS);
  expect(decoded).toBeGreaterThan(0);
  expect(rejected).toBeGreaterThan(0);
}, 300_000);
