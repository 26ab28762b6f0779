/**
 * Doctor's three outputs. JSON and Prometheus are stable shapes documented in
 * the README: {"checks":[{id,interface,status,observed,expected,why,fix}],
 * "fixed":[...]}, and node_exporter textfile-collector gauges.
 */
import type { Finding, Status } from './types.js';

export interface FixResult {
  readonly id: string;
  readonly interface: string | null;
  /** What was done, naming the sysctl, file or address. */
  readonly action: string;
  readonly status: 'changed' | 'unchanged' | 'failed';
  readonly before: Status;
  readonly after: Status;
}

export interface DoctorReport {
  readonly checks: readonly Finding[];
  readonly fixed: readonly FixResult[];
}

export function reportJson(r: DoctorReport): string {
  const checks = r.checks.map(({ id, interface: iface, status, observed, expected, why, fix }) => ({ id, interface: iface, status, observed, expected, why, fix }));
  return `${JSON.stringify({ checks, fixed: r.fixed }, null, 2)}\n`;
}

const COLOURS: Record<Status, string> = { ok: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' };

export function reportText(r: DoctorReport, colour: boolean): string {
  const paint = (s: Status, text: string) => (colour ? `${COLOURS[s]}${text}\x1b[0m` : text);
  const lines: string[] = [];
  for (const f of r.fixed) lines.push(`${paint(f.after, 'fixed')} ${f.id}${f.interface ? ` ${f.interface}` : ''}: ${f.action} (${f.before} → ${f.after})`);
  for (const c of r.checks) {
    const head = `${paint(c.status, c.status.padEnd(4))} ${c.id}${c.interface ? ` ${c.interface}` : ''}: ${c.observed}`;
    lines.push(c.status === 'ok' ? head : `${head} (expected ${c.expected}) — ${c.why}; ${c.fix.startsWith('manual fix:') ? c.fix : `fix: ${c.fix}`}`);
  }
  const count = (s: Status) => r.checks.filter((c) => c.status === s).length;
  lines.push(`${count('fail')} failed, ${count('warn')} warnings, ${count('ok')} ok`);
  return `${lines.join('\n')}\n`;
}

const VALUE: Record<Status, number> = { ok: 0, warn: 1, fail: 2 };
const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** node_exporter textfile collector (text exposition format 0.0.4). */
export function reportPrometheus(r: DoctorReport, nowMs: number): string {
  const lines = [
    '# HELP v6agent_doctor_check Result of one v6agent doctor check on one interface: 0 ok, 1 warn, 2 fail.',
    '# TYPE v6agent_doctor_check gauge',
  ];
  const seen = new Set<string>();
  for (const c of r.checks) {
    const labels = `check="${label(c.id)}",interface="${label(c.interface ?? '')}"`;
    // One sample per label set: a check repeated (e.g. two files) reports its worst.
    if (seen.has(labels)) continue;
    seen.add(labels);
    const worst = Math.max(...r.checks.filter((o) => o.id === c.id && o.interface === c.interface).map((o) => VALUE[o.status]));
    lines.push(`v6agent_doctor_check{${labels}} ${worst}`);
  }
  lines.push('# HELP v6agent_doctor_checks Number of doctor findings by status.', '# TYPE v6agent_doctor_checks gauge');
  for (const s of ['ok', 'warn', 'fail'] as const) lines.push(`v6agent_doctor_checks{status="${s}"} ${r.checks.filter((c) => c.status === s).length}`);
  lines.push('# HELP v6agent_doctor_fixed Number of repairs doctor --fix made in this run.', '# TYPE v6agent_doctor_fixed gauge', `v6agent_doctor_fixed ${r.fixed.filter((f) => f.status === 'changed').length}`);
  lines.push('# HELP v6agent_doctor_last_run_timestamp_seconds When doctor last ran.', '# TYPE v6agent_doctor_last_run_timestamp_seconds gauge', `v6agent_doctor_last_run_timestamp_seconds ${Math.floor(nowMs / 1000)}`);
  return `${lines.join('\n')}\n`;
}
