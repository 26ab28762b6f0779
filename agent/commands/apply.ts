/** `v6agent apply`: drive → model → plan → (preview | write + live changes) → report. */
import { Warnings, type Warning } from '../errors.js';
import { interfaceNames, loadInstance, parseIfaceMappings } from '../load.js';
import type { Instance } from '../model/instance.js';
import { applyObservations } from '../model/observed.js';
import { buildPlan, filesToRead } from '../plan/build.js';
import type { InterfaceReport } from '../ra/observe.js';
import { readTarget, withExistingFiles, type Target } from '../sources/target.js';
import type { Plan } from '../plan/types.js';
import { previewFiles, writeFiles, type FileResult } from '../apply/write.js';
import { applyActions, applySysctls, type LiveResult } from '../apply/live.js';
import { modeSummary } from '../../distro/summary.js';
import { reloadLive, type LiveReload } from '../apply/reload.js';

export interface ApplyOptions {
  readonly configDrive: string | undefined;
  readonly root: string | undefined;
  readonly distro: string | undefined;
  /** Network stack to write for instead of the detected one. */
  readonly stack?: string | undefined;
  readonly iface: readonly string[];
  readonly dryRun: boolean;
  /** Ask the routers (live only; never under --root). */
  readonly probe: boolean;
  readonly probeTimeoutMs: number;
  /** Live: bring the running network to the new files in place (false: --no-reload, files only). */
  readonly reload?: boolean;
  /** Live: how long to wait for IPv6 to be usable after the reload. */
  readonly waitMs?: number;
}

export interface ApplyReport {
  readonly root: string;
  readonly live: boolean;
  readonly dryRun: boolean;
  readonly distro: string;
  readonly stack: { readonly name: string; readonly evidence: readonly string[] };
  readonly source: string;
  readonly interfaces: readonly { name: string; summary: string }[];
  /** What the routers said, where we asked. */
  readonly observed: readonly InterfaceReport[];
  readonly files: readonly FileResult[];
  readonly sysctls: readonly LiveResult[];
  readonly actions: readonly LiveResult[];
  /** Live: what was done so the running network uses the new files, and when each interface was usable. */
  readonly reload?: LiveReload;
  readonly notes: readonly string[];
  readonly warnings: readonly Warning[];
  /** True if anything was (or, with --dry-run, would be) changed. */
  readonly changed: boolean;
}

export async function runApply(opts: ApplyOptions): Promise<ApplyReport> {
  const live = opts.root === undefined;
  const root = opts.root ?? '/';
  const warnings = new Warnings();
  const names = interfaceNames(parseIfaceMappings(opts.iface), { sysfs: live, fallback: !live });
  const declared = await loadInstance(opts.configDrive, names, warnings);
  const observed = live && opts.probe ? await observe(declared, opts.probeTimeoutMs) : [];
  const instance = observed.length ? applyObservations(declared, observed, warnings) : declared;
  const { target, plan } = planFor(instance, root, live, opts, warnings);

  const files = opts.dryRun ? previewFiles(root, plan.files, plan.removals) : await writeFiles(root, plan.files, new Date().toISOString().replace(/[:.]/g, '-'), plan.removals);
  const doLive = live && !opts.dryRun;
  const sysctls = doLive ? applySysctls(plan.sysctls, warnings) : [];
  const actions = doLive ? applyActions(plan.actions, warnings) : [];
  const sysctlsChanged = sysctls.some((s) => s.status === 'changed');
  const reload = doLive && opts.reload !== false ? await reloadLive(target.stack, instance, files, sysctlsChanged, opts.waitMs ?? 10_000, warnings) : undefined;
  return applyReport({ root, live, dryRun: opts.dryRun, target, instance, observed, files, sysctls, actions, reload, notes: plan.notes, warnings: warnings.list });
}

/** The report of what apply (or apply --boot) did; `changed` when any file, sysctl or action changed something. */
export function applyReport(r: {
  root: string;
  live: boolean;
  dryRun: boolean;
  target: Target;
  instance: Instance;
  observed: readonly InterfaceReport[];
  files: readonly FileResult[];
  sysctls: readonly LiveResult[];
  actions: readonly LiveResult[];
  reload: LiveReload | undefined;
  notes: readonly string[];
  warnings: readonly Warning[];
}): ApplyReport {
  const changed = [...r.files, ...r.sysctls, ...r.actions, ...(r.reload?.actions ?? [])].some((x) => x.status === 'created' || x.status === 'changed' || x.status === 'removed');
  return {
    root: r.root,
    live: r.live,
    dryRun: r.dryRun,
    distro: r.target.distro.name,
    stack: { name: r.target.stack, evidence: r.target.stackEvidence },
    source: r.instance.source,
    interfaces: r.instance.interfaces.map((i) => ({ name: i.name, summary: modeSummary(i) })),
    observed: r.observed,
    files: r.files,
    sysctls: r.sysctls,
    actions: r.actions,
    ...(r.reload ? { reload: r.reload } : {}),
    notes: [...r.notes, ...(r.reload?.notes ?? [])],
    warnings: r.warnings,
    changed,
  };
}

/** The target facts and the plan for `instance`: shared by apply and apply --boot. */
export function planFor(instance: Instance, root: string, live: boolean, opts: { distro?: string | undefined; stack?: string | undefined }, warnings: Warnings): { target: Target; plan: Plan } {
  const bare = readTarget(root, live, opts.distro, opts.stack);
  const target = withExistingFiles(bare, filesToRead(instance, bare));
  return { target, plan: buildPlan(instance, target, warnings) };
}

/** The routers of every IPv6 interface of the model that exists here with IPv6; loaded only when probing. */
export async function observe(instance: Instance, timeoutMs: number): Promise<InterfaceReport[]> {
  const ifaces = instance.interfaces.filter((i) => i.ipv6).map((i) => i.name);
  if (ifaces.length === 0) return [];
  const { observeRouters } = await import('./ra.js');
  return observeRouters({ ifaces, missing: 'skip', timeoutMs, wire: true });
}

export function formatApplyReport(r: ApplyReport): string {
  const lines: string[] = [];
  const verb = r.dryRun ? 'would write' : 'wrote';
  lines.push(`v6agent apply: ${r.distro}, ${r.stack.name} (${r.stack.evidence.join('; ')}), from ${r.source}${r.live ? '' : `, into ${r.root}`}${r.dryRun ? ' (dry run)' : ''}`);
  for (const i of r.interfaces) lines.push(`  ${i.name}: ${i.summary}`);
  for (const o of r.observed) lines.push(`  ${o.name}: router says ${o.mode} (from ${o.source}, ${o.elapsedMs.toFixed(0)} ms)`);
  for (const f of r.files) {
    lines.push(`  ${f.status.padEnd(9)} ${f.path}${f.backup ? ` (backup ${f.backup})` : ''}`);
    if (r.dryRun && f.diff) lines.push(...f.diff.trimEnd().split('\n').map((l) => `    ${l}`));
  }
  for (const s of [...r.sysctls, ...r.actions]) {
    if (s.status !== 'unchanged') lines.push(`  ${s.status.padEnd(9)} ${s.what} = ${s.to}${s.from !== undefined ? ` (was ${s.from})` : ''}`);
  }
  for (const a of r.reload?.actions ?? []) lines.push(`  ${a.status === 'failed' ? 'failed' : 'ran'}       ${a.what}: ${a.to}`);
  for (const u of r.reload?.usable ?? []) lines.push(`  ${u.usable ? 'usable' : 'NOT usable'}  ${u.iface}: ${u.address ?? 'no global address'}, default via ${u.gateway ?? 'none'} (after ${(u.afterMs / 1000).toFixed(1)} s)`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push(r.changed ? `${verb} ${r.files.filter((f) => f.status !== 'unchanged').length} file(s)` : 'nothing to change: everything is already as planned');
  return `${lines.join('\n')}\n`;
}
