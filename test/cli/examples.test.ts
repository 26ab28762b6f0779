/**
 * What a newcomer types first works: every command in `v6agent --help`, in
 * each subcommand's help, in the README's quick start and in
 * examples/drives/README.md is run against the built binary. A path that names the user's machine (`--root /srv/image`,
 * `--config-drive /mnt/config`) is replaced by a fresh temp root or a bundled
 * example drive; a command that is live by nature (no --root: `apply`,
 * `metadata` finding the drive, `ra`) runs inside a lab guest namespace with
 * its own /etc, /run and /var/lib, against radvd and dnsmasq, never here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, requireBinary } from '../bin.js';
import { Lab } from '../lab/lab.js';
import { writeLabDrive } from '../lab/drive.js';
import { linkUp } from '../lab/guest.js';
import { labGate } from '../lab/requirements.js';
import { MetadataServer } from '../lab/metadata-server.js';
import { servedInstance } from '../lab/metadata-instance.js';

requireBinary();
const help = (...args: string[]): string => spawnSync(BIN, [...args, '--help'], { encoding: 'utf8' }).stdout;

/** The command lines of every "Examples:" block (`  v6agent …   what it does`). */
export function helpExamples(text: string): string[] {
  const block = text.split(/^Examples:\n/m)[1]?.split(/\n\s*\n/)[0] ?? '';
  return block.split('\n').map((l) => l.trim().split(/\s{2,}/)[0]!).filter((l) => l.startsWith('v6agent'));
}

/** Every line of the ```sh blocks in a README section (or the whole file), comments removed, `a && b` split. */
export function readmeCommands(markdown: string, heading?: string): string[] {
  const section = heading === undefined ? markdown : (markdown.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '');
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.replace(/(^|\s)#.*$/, '').trim()).filter(Boolean).flatMap((l) => l.split(/\s*&&\s*/));
}

const subcommands = help().split(/^Commands:\n/m)[1]!.split('\n\n')[0]!.split('\n').map((l) => l.trim().split(/\s/)[0]!).filter((c) => c && c !== 'help');
const HELP = [...new Set([...helpExamples(help()), ...subcommands.flatMap((c) => helpExamples(help(c)))])];
const QUICK_START = readmeCommands(readFileSync('README.md', 'utf8'), 'Quick start');
const EXAMPLE_DRIVES = readmeCommands(readFileSync('examples/drives/README.md', 'utf8'));
const STAND_IN_DRIVE = resolve('examples/drives/dual-slaac');

const isV6agent = (argv: string[]) => argv[0] === 'v6agent' || argv[0] === 'dist/v6agent';
/** Would touch this machine: writes or probes without --root, or looks for a drive device itself. */
const isLive = (argv: string[]) => isV6agent(argv) && !argv.includes('--root') && !(argv[1] === 'metadata' && argv.includes('--config-drive'));
/** `npm ci && npm test` is this run itself (CI's .ci/run); it is checked as that, not run again. */
const THIS_RUN = ['npm ci', 'npm test'];
const value = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

let temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * Every `--root DIR` any example names gets one temp image root, used for that
 * DIR wherever it appears (`mkdir -p /tmp/img/etc` before `apply --root /tmp/img`).
 */
function substitute(argv: string[], all: readonly string[]): string[] {
  for (const cmd of all) {
    const a = cmd.split(/\s+/);
    const dir = a.includes('--root') ? value(a, '--root')! : undefined;
    if (dir && !roots.has(dir)) {
      const root = mkdtempSync(join(tmpdir(), 'v6agent-example-'));
      temps.push(root);
      roots.set(dir, root);
    }
  }
  const sub = (t: string) => {
    for (const [from, to] of roots) if (t === from || t.startsWith(`${from}/`)) return to + t.slice(from.length);
    return t;
  };
  const out = argv.map(sub);
  const drive = out.indexOf('--config-drive');
  // A drive path on the user's machine (/mnt/config): a bundled example stands in for it.
  if (drive >= 0 && !existsSync(out[drive + 1]!)) out[drive + 1] = STAND_IN_DRIVE;
  return out;
}
const roots = new Map<string, string>();

/** One command, run here: `v6agent` is the built binary; `npm run X` runs the script (the binary is already built). */
function runHere(argv: string[]): { status: number | null; stdout: string; stderr: string } {
  if (isV6agent(argv)) return spawnSync(BIN, argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
  if (argv[0] === 'npm' && argv[1] === 'run') {
    const script = (JSON.parse(readFileSync('package.json', 'utf8')).scripts as Record<string, string>)[argv[2]!];
    expect(script, `package.json has no script ${argv[2]}`).toBeDefined();
    return spawnSync('bash', ['-c', script!.replace(/^npm run build && /, '')], { encoding: 'utf8', timeout: 120_000 });
  }
  return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
}

function checkOutput(argv: string[], r: { status: number | null; stdout: string; stderr: string }): void {
  expect(r.status, `${argv.join(' ')}\n${r.stderr}`).toBe(0);
  expect(r.stderr).not.toMatch(/internal error|Error:|    at /);
  if (argv.includes('--json')) expect(() => JSON.parse(r.stdout)).not.toThrow();
}

const all = [...HELP.map((c) => ({ from: 'help', cmd: c })), ...[...new Set(QUICK_START)].filter((c) => !THIS_RUN.includes(c)).map((c) => ({ from: 'README quick start', cmd: c })), ...EXAMPLE_DRIVES.map((c) => ({ from: 'examples/drives/README.md', cmd: c }))];
const here = all.filter(({ cmd }) => !isLive(cmd.split(/\s+/)));
const live = all.filter(({ cmd }) => isLive(cmd.split(/\s+/)));

describe('the examples newcomers read', () => {
  it('are found: help of every subcommand and the README quick start have some, and `--help` cites drives that exist', () => {
    expect(subcommands).toEqual(expect.arrayContaining(['apply', 'metadata', 'ra']));
    expect(HELP.length).toBeGreaterThanOrEqual(5);
    expect(QUICK_START.length).toBeGreaterThanOrEqual(4);
    for (const c of HELP) {
      for (const d of c.match(/examples\/drives\/[\w-]+/g) ?? []) expect(existsSync(join(d, 'openstack/latest/network_data.json')), d).toBe(true);
    }
  });

  it('`npm ci` and `npm test` of the quick start are what CI runs (.ci/run), which is this run', () => {
    expect(QUICK_START).toEqual(expect.arrayContaining(THIS_RUN));
    const ci = readFileSync('.ci/run', 'utf8').split('\n');
    for (const c of THIS_RUN) expect(ci).toContain(c);
  });

  it.each(here.map((x) => [x.from, x.cmd]))('%s: `%s` runs', (_from, cmd) => {
    const argv = substitute(cmd.split(/\s+/), all.map((x) => x.cmd));
    // Nothing but temp roots and example drives: no example may write outside them.
    expect(argv.filter((t) => t.startsWith('/') && !t.startsWith(tmpdir()) && t !== STAND_IN_DRIVE)).toEqual([]);
    const r = runHere(argv);
    checkOutput(argv, r);
    if (cmd === 'npm run demo') {
      // The demo says where it rendered and leaves it for the reader; the test removes it.
      const dir = /Rendered into (\S+) /.exec(r.stdout)?.[1];
      expect(dir).toMatch(/^\/tmp\/v6agent-demo\./);
      rmSync(dir!, { recursive: true, force: true });
    }
  });
});

const gate = labGate();

describe.runIf(gate.run)('the live examples, in a lab guest', () => {
  let lab: Lab;
  let drive: string;
  let server: MetadataServer | undefined;
  beforeAll(async () => {
    lab = await Lab.create({ mode: 'dhcpv6-stateless', ipv4: true, guestMac: 'fa:16:3e:5c:e0:01' });
    drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'dhcpv6-stateless', ipv4: true, mac: 'fa:16:3e:5c:e0:01' });
    // For the examples that ask a metadata service instead of the drive.
    server = await MetadataServer.start(lab, { ipv6: 'on-link', ipv4: true, instances: [servedInstance('fa:16:3e:5c:e0:01')] });
    await linkUp(lab);
  });
  afterAll(async () => {
    server?.stop();
    lab?.destroy();
  });

  it.each(live.map((x) => [x.from, x.cmd]))('%s: `%s` runs', async (_from, cmd) => {
    const argv = cmd.split(/\s+/);
    // The guest has no config drive device: hand it the lab's, which describes its port.
    const asksService = argv.includes('--source') && argv[argv.indexOf('--source') + 1] !== 'drive';
    const installs = argv[1] === 'install' || argv[1] === 'uninstall';
    // install/uninstall place files under /usr, which the lab guest shares with the host: give them a root of their own.
    const args = installs
      ? [...argv.slice(1), '--root', mkdtempSync(join(lab.dir, 'image-'))]
      : argv[1] !== 'ra' && !asksService && !argv.includes('--config-drive')
        ? [...argv.slice(1), '--config-drive', drive]
        : argv.slice(1);
    // doctor exits 1 when a check fails (this guest is only half configured): that is a run, with a report.
    const r = await lab.inGuest([BIN, ...args]).catch((e: { code?: number; stdout?: string; stderr?: string }) => {
      if (argv[1] === 'doctor' && e.code === 1 && e.stdout) return { stdout: e.stdout, stderr: e.stderr ?? '' };
      throw e;
    });
    checkOutput(argv, { status: 0, ...r });
    if (argv[1] === 'doctor') expect(r.stdout).toMatch(/sysctl\.use_tempaddr/);
    if (argv[1] === 'ra') expect(r.stdout).toMatch(/eth0/);
  });
});
