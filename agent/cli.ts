/**
 * Command-line wiring only: parse, call, print, exit code. Commands are loaded
 * on demand so `apply` at boot never pays for code it does not run.
 */
import { statSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, V6Error, formatWarning, type Warning } from './errors.js';
import { err, out } from './output.js';
import { versionLine } from './buildInfo.js';
import { errorJson, jsonRequested } from './errorJson.js';
import { STACKS, type Stack } from './plan/types.js';
import { SOURCE_CHOICES, type SourceChoice } from './model/discovery.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A wait given in seconds on the command line, as milliseconds. */
function parseSeconds(flag: string, value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 60) throw new V6Error(`${flag} ${value}: give seconds, more than 0 and at most 60`, ExitCode.usage);
  return seconds * 1000;
}

/** `--root ''` would mean the live system; a missing root would be created piecemeal. Both are usage errors. */
function checkRoot(root: string): void {
  if (root === '') throw new V6Error("--root '': give the image's root directory (omit --root to apply live)", ExitCode.usage);
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    // missing or unreadable: said below
  }
  if (!isDir) throw new V6Error(`--root ${root}: not an existing directory`, ExitCode.usage);
}

function printWarnings(warnings: readonly Warning[]): void {
  for (const w of warnings) err(`${formatWarning(w)}\n`);
}

async function bootAction(o: { configDrive?: string; root?: string; distro?: string; stack?: string; iface: string[]; dryRun: boolean; probe: boolean; json: boolean; driveWait: string }, probeTimeoutMs: number, metadataBudgetMs: number): Promise<void> {
  if (o.root !== undefined || o.dryRun) throw new V6Error('--boot configures this system at boot: it cannot be combined with --root or --dry-run', ExitCode.usage);
  const driveWait = Number(o.driveWait);
  if (!Number.isFinite(driveWait) || driveWait < 0 || driveWait > 300) throw new V6Error(`--drive-wait ${o.driveWait}: give seconds, from 0 to 300`, ExitCode.usage);
  const { runBoot, formatBootReport } = await import('./commands/boot.js');
  const report = await runBoot({ configDrive: o.configDrive, distro: o.distro, stack: o.stack, iface: o.iface, probe: o.probe, probeTimeoutMs, driveWaitMs: driveWait * 1000, budgetMs: metadataBudgetMs });
  if (o.json) out(`${JSON.stringify(report, null, 2)}\n`);
  else {
    printWarnings(report.warnings);
    out(formatBootReport(report));
  }
  // The fallback keeps the VM reachable, but the journal must show that no source answered.
  if (report.source === 'fallback') commandExit = ExitCode.failure;
}

export function makeProgram(): Command {
  const program = new Command('v6agent')
    .description('Make IPv6 work inside cloud VMs: config drive → distro network config, DNS, sysctls, hostname, SSH keys.')
    .version(versionLine, '-V, --version', 'print the version and the git commit it was built from')
    .showHelpAfterError('(run with --help for usage)')
    // Before the subcommands: commander copies these settings into each one as it is created.
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s), writeErr: (s) => err(s) })
    .addHelpText('after', `
Examples:
  v6agent apply                                  configure this VM from its config drive
  v6agent apply --dry-run                        show the diff, change nothing
  v6agent apply --config-drive examples/drives/dual-slaac --root /tmp/img --distro debian --stack netplan
  v6agent ra                                     what the routers on each interface advertise
  v6agent metadata --json                        the normalized instance, for scripts
  v6agent install --root /mnt/image              bake into an image: runs apply --boot at every boot

Exit codes: 0 success, 1 failure, 2 usage error, 3 bad or missing input.`);

  program
    .command('apply')
    .description('write the network configuration, resolv.conf, sysctls, hostname and SSH keys')
    .option('--config-drive <dir>', 'read this directory instead of finding the config drive')
    .option('--root <dir>', 'render into this image tree; touch nothing live (no sysctl, no hostname)')
    .addOption(new Option('--distro <name>', 'target distro instead of ROOT/etc/os-release').choices(['debian', 'ubuntu', 'rhel', 'centos', 'rocky', 'alma', 'fedora']))
    .addOption(new Option('--stack <name>', 'network stack to write for instead of the detected one').choices(STACKS))
    .option('--iface <mac=name>', 'name the NIC with this MAC (repeatable; for --root)', collect, [])
    .option('--dry-run', 'print a unified diff of every file and change nothing', false)
    .option('--no-probe', 'do not ask the routers; the drive alone decides each mode')
    .option('--probe-timeout <seconds>', 'how long to wait for routers', '2')
    .addOption(new Option('--source <source>', 'metadata source: auto = config drive, then the service over IPv6, then IPv4 (live default); drive (default under --root)').choices(SOURCE_CHOICES))
    .option('--metadata-timeout <seconds>', 'total time for finding a metadata source', '10')
    .option('--json', 'print a machine-readable report', false)
    .option('--no-reload', 'write files only: do not bring the running network to them (they take effect at the next boot)')
    .option('--wait <seconds>', 'live: how long to wait for IPv6 to be usable after reloading', '10')
    .option('--boot', 'the boot-time path (v6agent.service): wait for the drive, sysctls first, links up for the probe; host name and keys once per instance', false)
    .option('--drive-wait <seconds>', 'with --boot: how long to wait for the config drive to appear', '10')
    .addHelpText('after', `
With no config drive, apply asks the metadata service at fe80::a9fe:a9fe on every up interface,
then 169.254.169.254 if the instance has IPv4. If nothing answers, it writes a fallback
configuration (IPv6 autoconfiguration on every NIC, DHCPv4 on the first) and exits 1.
Live, apply asks each interface's routers (Router Solicitation): their M/O flags decide
the DHCPv6 client, and every disagreement with the drive is reported. --root never probes.
The network stack is detected from the target (what runs, or what the image runs at boot:
netplan, NetworkManager, systemd-networkd, ifupdown, initscripts) and reported with its
evidence; --stack overrides it. Live, apply then brings the running network to the new files
in place, only for the interfaces whose files changed (ifupdown: never ifdown, ip -6 replace
and the DHCPv6 client the mode needs; NetworkManager: nmcli connection load + device reapply;
systemd-networkd: networkctl reload + reconfigure; netplan: netplan generate, then its
backend's path, never netplan apply) and waits until IPv6 is usable; --no-reload skips that.

Examples:
  v6agent apply --dry-run
  v6agent apply --boot --drive-wait 20           what v6agent.service runs at boot
  v6agent apply --config-drive /mnt/config --root /srv/image --distro rocky --stack networkmanager --iface fa:16:3e:11:22:33=eth0 --json`)
    .action(async (o: { configDrive?: string; root?: string; distro?: string; stack?: string; iface: string[]; dryRun: boolean; probe: boolean; probeTimeout: string; source?: SourceChoice; metadataTimeout: string; json: boolean; boot: boolean; driveWait: string; reload: boolean; wait: string }) => {
      const probeTimeoutMs = parseSeconds('--probe-timeout', o.probeTimeout);
      if (o.root !== undefined) checkRoot(o.root);
      const metadataBudgetMs = parseSeconds('--metadata-timeout', o.metadataTimeout);
      if (o.boot) return bootAction(o, probeTimeoutMs, metadataBudgetMs);
      const waitMs = parseSeconds('--wait', o.wait);
      const { runApply, formatApplyReport } = await import('./commands/apply.js');
      const report = await runApply({ configDrive: o.configDrive, root: o.root, distro: o.distro, stack: o.stack, iface: o.iface, dryRun: o.dryRun, probe: o.probe, probeTimeoutMs, source: o.source, metadataBudgetMs, reload: o.reload, waitMs });
      if (o.json) out(`${JSON.stringify(report, null, 2)}\n`);
      else {
        printWarnings(report.warnings);
        out(formatApplyReport(report));
      }
      // The fallback keeps the VM reachable, but the run failed: exit 1 so the journal shows it.
      // Not thrown: the report is the one JSON object on stdout, the verdict goes to stderr.
      if (report.verdict) {
        err(`v6agent: ${report.verdict}\n`);
        commandExit = ExitCode.failure;
      }
    });

  program
    .command('metadata')
    .description('walk the metadata sources as apply does; print the normalized instance, which source answered and what was tried; write nothing')
    .option('--config-drive <dir>', 'read this directory instead of finding the config drive')
    .addOption(new Option('--source <source>', 'auto = config drive, then the service over IPv6 (fe80::a9fe:a9fe on every up interface), then IPv4 (169.254.169.254, only with IPv4)').choices(SOURCE_CHOICES).default('auto'))
    .option('--timeout <seconds>', 'total time for the walk', '10')
    .option('--cached', 'print the cache the last apply wrote (/run/v6agent/instance.json) instead', false)
    .option('--iface <mac=name>', 'name the NIC with this MAC (repeatable)', collect, [])
    .option('--json', 'print JSON', false)
    .addHelpText('after', `
A 404 from the IPv6 service means Neutron did not recognise the port: it identifies the VM by the
MAC inside the source link-local address, which must be the EUI-64 one (addr_gen_mode 0).

Examples:
  v6agent metadata
  v6agent metadata --source ipv6 --json       test a cloud's IPv6 metadata service from inside a VM
  v6agent metadata --config-drive examples/drives/v6only-static --json`)
    .action(async (o: { configDrive?: string; source: SourceChoice; timeout: string; cached: boolean; iface: string[]; json: boolean }) => {
      const budgetMs = parseSeconds('--timeout', o.timeout);
      const { runMetadata, metadataJson, formatMetadata, formatDiscovery } = await import('./commands/metadata.js');
      if (o.cached) {
        const { readCache } = await import('./sources/instanceCache.js');
        const cache = readCache();
        out(o.json ? `${JSON.stringify(cache, null, 2)}\n` : formatMetadata(cache.instance) + formatDiscovery(cache.instance));
        return;
      }
      // Nothing answered (NoSource): under --json the error object carries the timeline (agent/errorJson.ts).
      const { instance, warnings } = await runMetadata({ configDrive: o.configDrive, iface: o.iface, source: o.source, budgetMs });
      if (o.json) out(`${JSON.stringify({ ...(metadataJson(instance) as object), warnings }, null, 2)}\n`);
      else {
        printWarnings(warnings);
        out(formatMetadata(instance) + formatDiscovery(instance));
      }
    });

  program
    .command('ra')
    .description('show what the routers on each interface advertise, and the IPv6 mode that follows')
    .argument('[iface...]', 'interfaces to ask (default: every interface that is up, except loopback)')
    .option('--timeout <seconds>', 'how long to wait for routers on the wire', '3')
    .option('--wire', 'send Router Solicitations even where the kernel already knows', false)
    .option('--json', 'print JSON (a stable shape, documented in the README)', false)
    .addHelpText('after', `
Examples:
  v6agent ra                      every interface; kernel answers where it has one, else the wire
  v6agent ra eth0 --wire --json   ask eth0's routers now, for a script`)
    .action(async (ifaces: string[], o: { timeout: string; wire: boolean; json: boolean }) => {
      const timeoutMs = parseSeconds('--timeout', o.timeout);
      const { observeRouters, formatRaReport } = await import('./commands/ra.js').catch((e: Error) => {
        throw new V6Error(e.message.split('\n')[0]!); // the FFI module could not be loaded: say why, not "internal error"
      });
      const interfaces = observeRouters({ ifaces, missing: 'error', timeoutMs, wire: o.wire });
      out(o.json ? `${JSON.stringify({ interfaces }, null, 2)}\n` : formatRaReport(interfaces));
    });

  program
    .command('doctor')
    .description('check this VM\'s IPv6 setup, explain each problem and its fix; --fix repairs what is safe')
    .argument('[iface...]', 'interfaces to check (default: every interface that is up, except loopback)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'prometheus']).default('text'))
    .option('--json', 'same as --format json (a stable shape, documented in the README)', false)
    .option('--fix', 'repair what is safe (sysctls now and in /etc/sysctl.d, stray addresses), then check again', false)
    .option('--root <dir>', 'check the configuration files of this image tree only (nothing live)')
    .option('--config-drive <dir>', 'compare with this drive instead of finding the config drive')
    .option('--no-config-drive', 'check as if there were no config drive: ask the IPv6 metadata service instead')
    .option('--no-probe', 'do not send Router Solicitations or ask the metadata service')
    .option('--probe-timeout <seconds>', 'how long to wait for routers', '2')
    .addOption(new Option('--stack <name>', 'network stack to check and fix through instead of the detected one').choices(STACKS))
    .addHelpText('after', `
Exit codes: 0 nothing failed, 1 something failed, 2 could not run.

Examples:
  v6agent doctor                                   every interface, one line per check
  v6agent doctor eth0 --json                       for scripts
  v6agent doctor --format prometheus              node_exporter textfile-collector metrics, for fleets
  v6agent doctor --root /srv/image                 the files of an image tree
  v6agent doctor --fix                             repair, then report before → after
  v6agent doctor --fix --stack ifcfg               start a missing DHCPv6 client as initscripts would`)
    .action(async (ifaces: string[], o: { format: string; json: boolean; fix: boolean; root?: string; configDrive?: string | false; probe: boolean; probeTimeout: string; stack?: Stack }) => {
      const probeTimeoutMs = parseSeconds('--probe-timeout', o.probeTimeout);
      if (o.root !== undefined && ifaces.length) throw new V6Error('--root checks files only: name no interfaces', ExitCode.usage);
      if (o.root !== undefined) checkRoot(o.root);
      const { runDoctor, exitCodeOf } = await import('./commands/doctor.js');
      const format = await import('./doctor/format.js');
      const report = await runDoctor({ ifaces, root: o.root, configDrive: o.configDrive || undefined, noConfigDrive: o.configDrive === false, probe: o.probe, probeTimeoutMs, fix: o.fix, stack: o.stack });
      const kind = o.json ? 'json' : o.format;
      if (kind === 'json') out(format.reportJson(report));
      else if (kind === 'prometheus') out(format.reportPrometheus(report, Date.now()));
      else out(format.reportText(report, (await import('node:tty')).isatty(1) && !process.env.NO_COLOR));
      commandExit = exitCodeOf(report) as ExitCode;
    });

  const installReport = async (which: 'install' | 'uninstall', o: { root?: string; dryRun: boolean; json: boolean }): Promise<void> => {
    const { runInstall, runUninstall, formatInstallReport } = await import('./commands/install.js');
    const report = await (which === 'install' ? runInstall : runUninstall)({ root: o.root, dryRun: o.dryRun });
    if (o.json) out(`${JSON.stringify(report, null, 2)}\n`);
    else {
      printWarnings(report.warnings);
      out(formatInstallReport(report));
    }
  };

  program
    .command('install')
    .description('place this binary at /usr/local/sbin/v6agent and enable v6agent.service, which runs `apply --boot` before the network starts')
    .option('--root <dir>', 'install into this image tree instead of this system')
    .option('--dry-run', 'say what would change and change nothing', false)
    .option('--json', 'print a machine-readable report', false)
    .addHelpText('after', `
Where cloud-init is in the image, also writes /etc/cloud/cloud.cfg.d/99-v6agent-network.cfg
(network: {config: disabled}). Idempotent: a second run changes nothing.

Examples:
  v6agent install --root /mnt/image        bake into a mounted image
  v6agent install --dry-run --json`)
    .action((o: { root?: string; dryRun: boolean; json: boolean }) => installReport('install', o));

  program
    .command('uninstall')
    .description('remove what install placed (binary, unit, its enabling link, the cloud-init drop-in); keeps /var/lib/v6agent')
    .option('--root <dir>', 'uninstall from this image tree instead of this system')
    .option('--dry-run', 'say what would be removed and remove nothing', false)
    .option('--json', 'print a machine-readable report', false)
    .addHelpText('after', `
Examples:
  v6agent uninstall
  v6agent uninstall --root /mnt/image --json`)
    .action((o: { root?: string; dryRun: boolean; json: boolean }) => installReport('uninstall', o));

  return program;
}

/** A command that reports failure without an error (doctor: a check failed) sets this. */
let commandExit: ExitCode = ExitCode.ok;

export async function main(argv: readonly string[]): Promise<number> {
  commandExit = ExitCode.ok;
  const program = makeProgram();
  try {
    await program.parseAsync(argv as string[]);
    return commandExit;
  } catch (e) {
    // --help and --version end through here too, with exit code 0: not an error.
    if (e instanceof CommanderError && e.exitCode === 0) return ExitCode.ok;
    // Human text on stderr as always (commander has printed its own); under --json also one object on stdout.
    if (e instanceof V6Error) err(`v6agent: ${e.message}\n`);
    else if (!(e instanceof CommanderError)) {
      err(`v6agent: internal error: ${(e as Error).message}\n`);
      if (process.env.V6AGENT_DEBUG) err(`${(e as Error).stack}\n`);
    }
    const json = errorJson(e);
    if (jsonRequested(program, argv)) out(`${JSON.stringify(json, null, 2)}\n`);
    return json.error.exitCode;
  }
}
