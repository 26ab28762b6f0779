// npm run bench: the whole `dist/v6agent apply --root` process on bundled
// example drives, each run into a fresh empty root made before the clock
// starts; alternated with cloud-init's own ENI renderer on the same drive.
// Prints a table and writes bench/results.json. Timing lives here, never in tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve('dist/v6agent');
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const WARMUP = 3;
const CASES = [
  { name: 'dual-stack (dhcpv6-stateless)', drive: 'test/golden/dual-dhcpv6-stateless/drive' },
  { name: 'IPv6-only (static)', drive: 'test/golden/v6only-static/drive' },
];
const SYSTEM_PYTHON = '/usr/bin/python3';
const json = process.argv.includes('--json');
const log = (s) => (json ? process.stderr : process.stdout).write(`${s}\n`);

if (!existsSync(BIN)) throw new Error('dist/v6agent missing: run `npm run build` (npm run bench does)');

function freshRoot() {
  const root = mkdtempSync(join(tmpdir(), 'v6agent-bench-'));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\ndebian:x:1000:1000::/home/debian:/bin/bash\n');
  return root;
}

const commands = {
  v6agent: (drive, root) => [BIN, ['apply', '--config-drive', drive, '--root', root, '--distro', 'debian', '--stack', 'eni', '--iface', 'fa:16:3e:5c:2a:7e=eth0']],
  'cloud-init': (drive, root) => [SYSTEM_PYTHON, ['bench/cloudinit-render.py', drive, root]],
};

function timeOnce(tool, drive) {
  const root = freshRoot();
  const [cmd, args] = commands[tool](drive, root);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: PY_ENV });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  rmSync(root, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
  return ms;
}

/** Peak RSS in MB from GNU time, on separate (untimed) runs. */
function peakRss(tool, drive) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    const root = freshRoot();
    const [cmd, args] = commands[tool](drive, root);
    const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], env: PY_ENV });
    rmSync(root, { recursive: true, force: true });
    samples.push(Number(r.stderr.trim().split('\n').pop()) / 1024);
  }
  return Math.max(...samples);
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], runs: s.length };
}

/** Whether `has()` holds, installing Debian packages `pkgs` first when it does not and we are root. */
function ensure(pkgs, has) {
  if (has()) return true;
  if (process.getuid?.() === 0) {
    log(`bench: installing Debian's ${pkgs.join(' ')} (apt-get install)…`);
    spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  return has();
}

/**
 * cloud-init's Python code, never the package: installing Debian's cloud-init
 * enables its boot services on this machine, and at its next boot it would
 * configure the network. Its .deb is unpacked into a cache (apt-get download,
 * dpkg-deb -x) and imported from there, with the Python libraries it depends
 * on installed as plain packages. Returns the PYTHONPATH to use, or null.
 */
const CLOUD_INIT_CACHE = process.env.V6AGENT_BENCH_CACHE ?? '/var/cache/v6agent-bench/cloud-init';
const CLOUD_INIT_LIBS = ['python3-configobj', 'python3-jinja2', 'python3-jsonpatch', 'python3-jsonschema', 'python3-netifaces', 'python3-oauthlib', 'python3-requests', 'python3-serial', 'python3-yaml'];
const importable = (path) => spawnSync(SYSTEM_PYTHON, ['-c', 'import cloudinit.net.eni'], { stdio: 'ignore', env: { ...process.env, PYTHONPATH: path } }).status === 0;
function cloudInitPath() {
  const path = join(CLOUD_INIT_CACHE, 'usr/lib/python3/dist-packages');
  if (importable(path)) return path;
  if (process.getuid?.() !== 0) return null;
  ensure(CLOUD_INIT_LIBS, () => false);
  const tmp = mkdtempSync(join(tmpdir(), 'v6agent-bench-deb-'));
  try {
    log("bench: unpacking Debian's cloud-init into " + CLOUD_INIT_CACHE + ' (apt-get download; not installed)…');
    const dl = spawnSync('apt-get', ['download', '-qq', 'cloud-init'], { cwd: tmp, stdio: 'ignore' });
    const deb = dl.status === 0 ? readdirSync(tmp).find((f) => f.endsWith('.deb')) : undefined;
    if (!deb) return null;
    rmSync(CLOUD_INIT_CACHE, { recursive: true, force: true });
    mkdirSync(CLOUD_INIT_CACHE, { recursive: true });
    execFileSync('dpkg-deb', ['-x', join(tmp, deb), CLOUD_INIT_CACHE]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return importable(path) ? path : null;
}
const ensureGnuTime = () => ensure(['time'], () => existsSync('/usr/bin/time'));

const cloudInitPythonPath = cloudInitPath();
const withCloudInit = cloudInitPythonPath !== null;
const PY_ENV = { ...process.env, PYTHONPATH: cloudInitPythonPath ?? '' };
const withTime = ensureGnuTime();
const cloudInitVersion = withCloudInit ? execFileSync(SYSTEM_PYTHON, ['-c', 'import cloudinit.version as v; print(v.version_string())'], { encoding: 'utf8', env: PY_ENV }).trim() : null;
const tools = withCloudInit ? ['v6agent', 'cloud-init'] : ['v6agent'];
if (!withCloudInit) log("bench: cloud-init's code not available (run as root to unpack it); v6agent only");

const results = [];
for (const c of CASES) {
  for (const tool of tools) for (let i = 0; i < WARMUP; i++) timeOnce(tool, c.drive);
  const times = Object.fromEntries(tools.map((t) => [t, []]));
  // Alternate the tools so drift in machine load hits both alike.
  for (let i = 0; i < RUNS; i++) for (const tool of tools) times[tool].push(timeOnce(tool, c.drive));
  const row = { case: c.name, drive: c.drive, tools: {} };
  for (const tool of tools) row.tools[tool] = { ms: stats(times[tool]), peakRssMB: withTime ? peakRss(tool, c.drive) : null };
  if (withCloudInit) row.ratio = row.tools.v6agent.ms.median / row.tools['cloud-init'].ms.median;
  results.push(row);
}

/** Bundle a TypeScript bench module (it imports the lab), run `use` on its exports, clean up. */
async function withBundle(entry, use) {
  const { build } = await import('esbuild');
  const out = join(mkdtempSync(join(tmpdir(), 'v6agent-bench-')), 'bench.mjs');
  try {
    await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
    return await use(await import(out));
  } finally {
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
}

// --- v6agent ra on a lab subnet (needs root and network namespaces) ---
let ra = null;
if (process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v radvd && command -v rdisc6 && ip netns list'], { stdio: 'ignore' }).status === 0) {
  const series = await withBundle('bench/ra.ts', ({ benchRa }) => benchRa(RUNS));
  ra = Object.fromEntries(Object.entries(series).map(([k, v]) => [k, stats(v)]));
} else {
  log('bench: skipping `ra` (needs root, radvd, rdisc6 and ip netns; run test/lab/prereqs.sh)');
}

// --- metadata over IPv6 without a config drive, lab service (needs root and network namespaces) ---
let metadata = null;
if (process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v radvd && ip netns list'], { stdio: 'ignore' }).status === 0) {
  const s = await withBundle('bench/metadata.ts', ({ benchMetadata }) => benchMetadata(RUNS, Number(process.env.BENCH_VERDICT_RUNS ?? 3)));
  metadata = { service: stats(s.service), walk: stats(s.walk), verdict: stats(s.verdict), budgetMs: s.budgetMs };
} else {
  log('bench: skipping the metadata service case (needs root, radvd and ip netns)');
}

// --- v6agent doctor on a healthy lab guest (needs root and network namespaces) ---
let doctor = null;
if (process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v radvd && command -v ifup && ip netns list'], { stdio: 'ignore' }).status === 0) {
  const series = await withBundle('bench/doctor.ts', ({ benchDoctor }) => benchDoctor(RUNS));
  doctor = Object.fromEntries(Object.entries(series).map(([k, v]) => [k, stats(v)]));
} else {
  log('bench: skipping `doctor` (needs root, radvd, ifupdown and ip netns; run test/lab/prereqs.sh)');
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const report = {
  date: new Date().toISOString(),
  machine: `${cpus().length} x ${cpu}`,
  binaryBytes: statSync(BIN).size,
  cloudInit: cloudInitVersion,
  targets: { medianMs: 60, ratio: 0.35, peakRssMB: 60, binaryMB: 110, metadataServiceMs: 1000, metadataVerdictMs: 10_000, doctorMs: 150 },
  results,
  ra,
  metadata,
  doctor,
};
mkdirSync('bench', { recursive: true });
writeFileSync('bench/results.json', `${JSON.stringify(report, null, 2)}\n`);

const f = (x) => x.toFixed(1);
log(`v6agent bench — ${report.date}, ${report.machine}`);
log(`binary: dist/v6agent ${f(report.binaryBytes / 1e6)} MB${cloudInitVersion ? `; cloud-init ${cloudInitVersion}` : ''}; ${RUNS} timed runs after ${WARMUP} warm-up, alternating`);
log('');
log(`${'case'.padEnd(32)}${'tool'.padEnd(12)}${'median ms'.padStart(10)}${'min'.padStart(8)}${'max'.padStart(8)}${'peak RSS MB'.padStart(13)}`);
for (const r of results) {
  for (const [tool, t] of Object.entries(r.tools)) {
    log(`${r.case.padEnd(32)}${tool.padEnd(12)}${f(t.ms.median).padStart(10)}${f(t.ms.min).padStart(8)}${f(t.ms.max).padStart(8)}${(t.peakRssMB === null ? '-' : f(t.peakRssMB)).padStart(13)}`);
  }
  if (r.ratio !== undefined) log(`${''.padEnd(32)}${'ratio'.padEnd(12)}${r.ratio.toFixed(2).padStart(10)}  (v6agent / cloud-init, median)`);
}
if (ra) {
  log('');
  log('v6agent ra on a lab subnet (radvd, DHCPv6-stateless), whole process, timed inside the namespace');
  log(`${'measure'.padEnd(44)}${'median ms'.padStart(10)}${'min'.padStart(8)}${'max'.padStart(8)}`);
  const row = (name, s) => log(`${name.padEnd(44)}${f(s.median).padStart(10)}${f(s.min).padStart(8)}${f(s.max).padStart(8)}`);
  row('v6agent ra --wire (RS sent, RA decoded)', ra.wire);
  row('v6agent ra (kernel already has the flags)', ra.kernel);
  row('rdisc6 -1 (same router, RS→RA, C tool)', ra.rdisc6);
  row('RS→RA inside v6agent (afterMs)', ra.rsToRa);
}
if (metadata) {
  log('');
  log('IPv6-only, no config drive: dist/v6agent apply against the lab\'s metadata service behind the router (radvd /128), timed inside the namespace');
  log(`${'measure'.padEnd(44)}${'median ms'.padStart(10)}${'min'.padStart(8)}${'max'.padStart(8)}${'target'.padStart(10)}`);
  const row = (name, s, target) => log(`${name.padEnd(44)}${f(s.median).padStart(10)}${f(s.min).padStart(8)}${f(s.max).padStart(8)}${target.padStart(10)}`);
  row('start → host name + keys + cache written', metadata.service, '≤ 1000');
  row('  of which: the walk (drive, RS, route, GETs)', metadata.walk, '');
  row('no service: start → verdict (exit 1)', metadata.verdict, `≤ ${metadata.budgetMs}`);
}
if (doctor) {
  log('');
  log('v6agent doctor on a healthy lab guest (SLAAC, apply + ifup), whole process, timed inside the namespace; target ≤ 150 ms');
  log(`${'measure'.padEnd(44)}${'median ms'.padStart(10)}${'min'.padStart(8)}${'max'.padStart(8)}`);
  const row = (name, s) => log(`${name.padEnd(44)}${f(s.median).padStart(10)}${f(s.min).padStart(8)}${f(s.max).padStart(8)}`);
  row('v6agent doctor (kernel facts, no RS needed)', doctor.kernel);
  row('v6agent doctor --no-probe', doctor.noProbe);
}
log('');
log('wrote bench/results.json');
if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
