/**
 * Command-line wiring only: parse, call, print, exit code. Commands are loaded
 * on demand so `apply` at boot never pays for code it does not run.
 */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, V6Error, formatWarning, type Warning } from './errors.js';
import { version } from '../package.json';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function printWarnings(warnings: readonly Warning[]): void {
  for (const w of warnings) process.stderr.write(`${formatWarning(w)}\n`);
}

export function makeProgram(): Command {
  const program = new Command('v6agent')
    .description('Make IPv6 work inside cloud VMs: config drive → distro network config, DNS, sysctls, hostname, SSH keys.')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    // Before the subcommands: commander copies these settings into each one as it is created.
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', `
Examples:
  v6agent apply                                  configure this VM from its config drive
  v6agent apply --dry-run                        show the diff, change nothing
  v6agent apply --config-drive examples/drives/dual-slaac --root /tmp/img --distro debian
  v6agent metadata --json                        the normalized instance, for scripts

Exit codes: 0 success, 1 failure, 2 usage error, 3 bad or missing input.`);

  program
    .command('apply')
    .description('write the network configuration, resolv.conf, sysctls, hostname and SSH keys')
    .option('--config-drive <dir>', 'read this directory instead of finding the config drive')
    .option('--root <dir>', 'render into this image tree; touch nothing live (no sysctl, no hostname)')
    .addOption(new Option('--distro <name>', 'target distro instead of ROOT/etc/os-release').choices(['debian', 'ubuntu', 'rhel', 'centos', 'rocky', 'alma', 'fedora']))
    .option('--iface <mac=name>', 'name the NIC with this MAC (repeatable; for --root)', collect, [])
    .option('--dry-run', 'print a unified diff of every file and change nothing', false)
    .option('--json', 'print a machine-readable report', false)
    .addHelpText('after', `
Examples:
  v6agent apply --dry-run
  v6agent apply --config-drive /mnt/config --root /srv/image --distro rocky --iface fa:16:3e:11:22:33=eth0 --json`)
    .action(async (o: { configDrive?: string; root?: string; distro?: string; iface: string[]; dryRun: boolean; json: boolean }) => {
      const { runApply, formatApplyReport } = await import('./commands/apply.js');
      const report = await runApply({ configDrive: o.configDrive, root: o.root, distro: o.distro, iface: o.iface, dryRun: o.dryRun });
      if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        printWarnings(report.warnings);
        process.stdout.write(formatApplyReport(report));
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
      if (o.json) process.stdout.write(`${JSON.stringify({ ...(metadataJson(instance) as object), warnings }, null, 2)}\n`);
      else {
        printWarnings(warnings);
        process.stdout.write(formatMetadata(instance));
      }
    });

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
      process.stderr.write(`v6agent: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`v6agent: internal error: ${(e as Error).message}\n`);
    if (process.env.V6AGENT_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return ExitCode.failure;
  }
}
