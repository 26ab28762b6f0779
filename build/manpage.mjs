// v6agent(8), generated from the binary's own --help, so the manual says what
// the program does: the top-level help, then every command's.
import { execFileSync } from 'node:child_process';

/** Text for roff's no-fill mode: backslashes escaped, no line read as a request, typography spelled in roff. */
function roffText(text) {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/→/g, '\\(->')
    .replace(/—/g, '\\(em')
    .replace(/…/g, '...')
    .replace(/≥/g, '\\(>=')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

/** The command names listed under "Commands:" in the top-level help, except `help`. */
function commandNames(help) {
  const section = help.split(/^Commands:\n/m)[1]?.split(/\n\n/)[0] ?? '';
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
}

/** The roff source of v6agent(8) from `binary`'s help; `date` is YYYY-MM-DD (the build's epoch, for reproducible packages). */
export function manPage({ binary, version, date }) {
  const help = (args) => execFileSync(binary, [...args, '--help'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', COLUMNS: '80' } }).trimEnd();
  const top = help([]);
  const [usage, description] = top.split('\n\n');
  const helps = commandNames(top).map((c) => ({ name: c, text: help([c]) }));
  const commands = helps.map(({ name, text }) => [`.SS "v6agent ${name}"`, '.nf', roffText(text), '.fi'].join('\n'));
  return `${[
    '.\\" Generated from `v6agent --help` by build/manpage.mjs; edit the help text, not this file.',
    `.TH V6AGENT 8 "${date}" "v6agent ${version}" "System Administration"`,
    '.SH NAME',
    'v6agent \\- make IPv6 work inside cloud VMs',
    '.SH SYNOPSIS',
    '.nf',
    roffText(usage.replace(/^Usage: /, '')),
    ...helps.map(({ text }) => roffText(text.split('\n')[0].replace(/^Usage: /, ''))),
    '.fi',
    '.SH DESCRIPTION',
    roffText(description.replace(/\n/g, ' ')),
    '.PP',
    'At boot, v6agent.service runs v6agent once, before the network starts (see the unit for its conditions).',
    '.SH OPTIONS',
    '.nf',
    roffText(top),
    '.fi',
    '.SH COMMANDS',
    ...commands,
    '.SH FILES',
    '.TP',
    '/var/lib/v6agent/backup/',
    'Every file v6agent replaced, by time of the run. Kept when the package is removed.',
    '.TP',
    'v6agent.service',
    'The boot unit, in /lib/systemd/system (Debian, Ubuntu) or /usr/lib/systemd/system (RHEL, Fedora).',
    '.SH SEE ALSO',
    '.BR systemctl (1),',
    '.BR systemd.preset (5)',
  ].join('\n')}\n`;
}
