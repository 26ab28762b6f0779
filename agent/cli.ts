/**
 * Command-line wiring only: parse, call, print, exit code. Commands are loaded
 * on demand so `apply` at boot never pays for code it does not run.
 */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, V6Error, formatWarning, type Warning } from './errors.js';
import { err, out } from './output.js';
import { version } from '../package.json';
import { STACKS } from './plan/types.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A wait given in seconds on the command line, as milliseconds. */
function parseSeconds(flag: string, value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 60) throw new V6Error(`${flag} ${value}: give seconds, more than 0 and at most 60`, ExitCode.usage);
  return seconds * 1000;
}

function printWarnings(warnings: readonly Warning[]): void {
  for (const w of warnings) err(`${formatWarning(w)}\n`);
}

async function bootAction(o: { configDrive?: string; root?: string; distro?: string; stack?: string; iface: string[]; dryRun: boolean; probe: boolean; json: boolean; driveWait: string }, probeTimeoutMs: number): Promise<void> {
  if (o.root !== undefined || o.dryRun) throw new V6Error('--boot configures this system at boot: it cannot be combined with --root or --dry-run', ExitCode.usage);
  const driveWait = Number(o.driveWait);
  if (!Number.isFinite(driveWait) || driveWait < 0 || driveWait > 300) throw new V6Error(`--drive-wait ${o.driveWait}: give seconds, from 0 to 300`, ExitCode.usage);
  const { runBoot, formatBootReport } = await import('./commands/boot.js');
  const report = await runBoot({ configDrive: o.configDrive, distro: o.distro, stack: o.stack, iface: o.iface, probe: o.probe, probeTimeoutMs, driveWaitMs: driveWait * 1000 });
  if (o.json) out(`${JSON.stringify(report, null, 2)}\n`);
  else {
    printWarnings(report.warnings);
    out(formatBootReport(report));
  }
}

export function makeProgram(): Command {
  const program = new Command('v6agent')
    .description('Make IPv6 work inside cloud VMs: config drive → distro network config, DNS, sysctls, hostname, SSH keys.')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    // Before the subcommands: commander copies these settings into each one as it is created.
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s), writeErr: (s) => err(s) })
    .addHelpText('after', `
Examples:
  v6agent apply                                  configure this VM from its config drive
  v6agent apply --dry-run                        show the diff, change nothing
  v6agent apply --config-drive examples/drives/dual-slaac --root /tmp/img --distro debian
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
    .option('--json', 'print a machine-readable report', false)
    .option('--no-reload', 'write files only: do not bring the running network to them (they take effect at the next boot)')
    .option('--wait <seconds>', 'live: how long to wait for IPv6 to be usable after reloading', '10')
    .option('--boot', 'the boot-time path (v6agent.service): wait for the drive, sysctls first, links up for the probe; host name and keys once per instance', false)
    .option('--drive-wait <seconds>', 'with --boot: how long to wait for the config drive to appear', '10')
    .addHelpText('after', `
Live, apply asks each interface's routers (Router Solicitation): their M/O flags decide
the DHCPv6 client, and every disagreement with the drive is reported. --root never probes.
Live, it then brings the running network to the new files in place (never ifdown: ip -6
replace, the DHCPv6 client the mode needs) and waits until IPv6 is usable; --no-reload skips that.

Examples:
  v6agent apply --dry-run
  v6agent apply --boot --drive-wait 20           what v6agent.service runs at boot
  v6agent apply --config-drive /mnt/config --root /srv/image --distro rocky --iface fa:16:3e:11:22:33=eth0 --json`)
    .action(async (o: { configDrive?: string; root?: string; distro?: string; stack?: string; iface: string[]; dryRun: boolean; probe: boolean; probeTimeout: string; json: boolean; boot: boolean; driveWait: string; reload: boolean; wait: string }) => {
      const probeTimeoutMs = parseSeconds('--probe-timeout', o.probeTimeout);
      if (o.boot) return bootAction(o, probeTimeoutMs);
      const waitMs = parseSeconds('--wait', o.wait);
      const { runApply, formatApplyReport } = await import('./commands/apply.js');
      const report = await runApply({ configDrive: o.configDrive, root: o.root, distro: o.distro, stack: o.stack, iface: o.iface, dryRun: o.dryRun, probe: o.probe, probeTimeoutMs, reload: o.reload, waitMs });
      if (o.json) out(`${JSON.stringify(report, null, 2)}\n`);
      else {
        printWarnings(report.warnings);
        out(formatApplyReport(report));
      }
    });

  program
    .command('metadata')
    .description('print the normalized instance read from the config drive')
    .option('--config-drive <dir>', 'read this directory instead of finding the config drive')
    .option('--iface <mac=name>', 'name the NIC with this MAC (repeatable)', collect, [])
    .option('--json', 'print JSON', false)
    .addHelpText('after', `
Examples:
  v6agent metadata
  v6agent metadata --config-drive examples/drives/v6only-static --json`)
    .action(async (o: { configDrive?: string; iface: string[]; json: boolean }) => {
      const { runMetadata, metadataJson, formatMetadata } = await import('./commands/metadata.js');
      const { instance, warnings } = await runMetadata({ configDrive: o.configDrive, iface: o.iface });
      if (o.json) out(`${JSON.stringify({ ...(metadataJson(instance) as object), warnings }, null, 2)}\n`);
      else {
        printWarnings(warnings);
        out(formatMetadata(instance));
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
      const { observeRouters, formatRaReport } = await import('./commands/ra.js');
      const interfaces = observeRouters({ ifaces, missing: 'error', timeoutMs, wire: o.wire });
      out(o.json ? `${JSON.stringify({ interfaces }, null, 2)}\n` : formatRaReport(interfaces));
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

export async function main(argv: readonly string[]): Promise<number> {
  const program = makeProgram();
  try {
    await program.parseAsync(argv as string[]);
    return ExitCode.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    if (e instanceof V6Error) {
      err(`v6agent: ${e.message}\n`);
      return e.exitCode;
    }
    err(`v6agent: internal error: ${(e as Error).message}\n`);
    if (process.env.V6AGENT_DEBUG) err(`${(e as Error).stack}\n`);
    return ExitCode.failure;
  }
}
