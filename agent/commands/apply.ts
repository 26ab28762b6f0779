/** `v6agent apply`: drive → model → plan → (preview | write + live changes) → report. */
import { errnoOf, ExitCode, usageError, V6Error, Warnings, type Warning } from '../errors.js';
import { interfaceNames, parseIfaceMappings } from '../load.js';
import type { Discovery } from '../model/discovery.js';
import type { SourceChoice } from '../model/discovery.js';
import { CACHE_PATH, cacheFile } from '../sources/instanceCache.js';
import { writeCache } from '../apply/cache.js';
import { loadForApply } from './applySources.js';
import type { Instance } from '../model/instance.js';
import { applyObservations } from '../model/observed.js';
import { buildPlan, filesToRead } from '../plan/build.js';
import type { InterfaceReport } from '../ra/observe.js';
import { readTarget, withExistingFiles, type Target } from '../sources/target.js';
import type { Plan } from '../plan/types.js';
import { previewFiles, writeFiles, type FileResult } from '../apply/write.js';
import { journalPath, readJournal, recoverJournal, STATE_DIR } from '../apply/journal.js';
import { takeLock } from '../apply/lock.js';
import { testPoint } from '../apply/testPoint.js';
import { join } from 'node:path';
import { applyActions, applySysctls, type LiveResult } from '../apply/live.js';
import { raProcessingSysctls } from '../../distro/sysctl.js';
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
  /** Which metadata source(s) to walk; default: drive → IPv6 service → IPv4 service live, the drive under --root. */
  readonly source?: SourceChoice | undefined;
  /** Total time for the walk over the sources. */
  readonly metadataBudgetMs?: number | undefined;
  /** At boot (`apply --boot`): bring down Ethernet interfaces up, EUI-64, before asking the IPv6 service. */
  readonly bringUp?: boolean | undefined;
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
  /** Which source answered and what was tried (absent when the drive was given). */
  readonly discovery: Discovery | undefined;
  /** Nothing answered: the fallback configuration was written; this is what was tried. */
  readonly verdict: string | undefined;
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
  // '' is no root at all: joined with /etc it would be the live system. The CLI says so first.
  if (opts.root === '') throw usageError("--root '': give the image's root directory");
  const live = opts.root === undefined;
  const root = opts.root ?? '/';
  const warnings = new Warnings();
  // One run at a time; a killed run's commit is finished or undone before anything else.
  const lock = opts.dryRun ? undefined : await osRefusal('cannot take the lock', () => takeLock(live ? LIVE_LOCK : root, live ? 0o700 : 0o755, join(root, STATE_DIR), LOCK_WAIT_MS));
  try {
    if (lock) await osRefusal('cannot finish or undo the interrupted commit', () => recoverJournal(root, warnings));
    else if (readJournal(root)) warnings.add(journalPath(root), 'an interrupted run left a pending commit; the next apply finishes or undoes it');
    testPoint('locked');
    return await applyLocked(opts, root, live, warnings);
  } finally {
    lock?.release();
  }
}

async function applyLocked(opts: ApplyOptions, root: string, live: boolean, warnings: Warnings): Promise<ApplyReport> {
  const names = interfaceNames(parseIfaceMappings(opts.iface), { sysfs: live, fallback: !live });
  const { instance: declared, verdict } = await loadForApply({ configDrive: opts.configDrive, source: opts.source, budgetMs: opts.metadataBudgetMs, live, dryRun: opts.dryRun, bringUp: opts.bringUp }, names, warnings);
  const bare = await readTarget(root, live, opts.distro, opts.stack, warnings);
  const probe = live && opts.probe;
  // Before the Router Solicitation: the answering RA is processed with the settings we want
  // (it installs the fe80::a9fe:a9fe/128 route only once accept_ra_rt_info_max_plen allows it).
  // A failure here (an interface not created yet) is reported once, when the plan's sysctls are set.
  const early = probe && !opts.dryRun ? applySysctls(raProcessingSysctls(declared, bare), new Warnings()) : [];
  const observed = probe ? await observe(declared, opts.probeTimeoutMs, warnings) : [];
  // The fallback declares no mode: the router deciding it is the point, not a disagreement to warn about.
  const instance = observed.length ? applyObservations(declared, observed, verdict ? new Warnings() : warnings) : declared;
  const { target, plan } = planFor(instance, bare, warnings);

  const files = opts.dryRun ? previewFiles(root, plan.files, plan.removals, warnings) : await writeFiles(root, plan.files, new Date().toISOString().replace(/[:.]/g, '-'), plan.removals, warnings);
  const doLive = live && !opts.dryRun;
  const sysctls = doLive ? mergeEarly(early, applySysctls(plan.sysctls, warnings)) : [];
  const actions = doLive ? applyActions(plan.actions, warnings) : [];
  // The cache describes an instance a source gave us, never the fallback.
  if (doLive && !verdict) saveCache(instance, warnings);
  const sysctlsChanged = sysctls.some((s) => s.status === 'changed');
  const reload = doLive && opts.reload !== false ? await reloadLive(target.stack, instance, files, sysctlsChanged, opts.waitMs ?? 10_000, warnings) : undefined;
  return applyReport({ root, live, dryRun: opts.dryRun, target, instance, observed, files, sysctls, actions, reload, verdict, notes: plan.notes, warnings: warnings.list });
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
  verdict: string | undefined;
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
    discovery: r.instance.discovery,
    verdict: r.verdict,
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

/** The plan for `instance` on a target read once (readTarget): shared by apply and apply --boot. */
export function planFor(instance: Instance, bare: Target, warnings: Warnings): { target: Target; plan: Plan } {
  const target = withExistingFiles(bare, filesToRead(instance, bare));
  return { target, plan: buildPlan(instance, target, warnings) };
}

/** An error of the operating system as a V6Error that says what it is (EROFS, EACCES…), never "internal error". */
export async function osRefusal<T>(what: string, act: () => T | Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (e) {
    throw e instanceof V6Error || !(e as NodeJS.ErrnoException).code ? e : new V6Error(`${what}: ${(e as Error).message}`, ExitCode.failure, { errno: errnoOf(e) });
  }
}

/** Live, the lock is on /run/v6agent (gone at reboot, like the processes it guards); under --root on the root itself. */
export const LIVE_LOCK = '/run/v6agent';
/** How long a second run waits for the first; V6AGENT_TEST_LOCK_WAIT_MS (test-only) shortens it. */
export const LOCK_WAIT_MS = Number(process.env.V6AGENT_TEST_LOCK_WAIT_MS) || 30_000;

/** The normalized instance for other tools (/run/v6agent/instance.json); a failure is a warning. */
export function saveCache(instance: Instance, warnings: Warnings): void {
  try {
    writeCache(cacheFile(instance, new Date()));
  } catch (e) {
    warnings.add(CACHE_PATH, `not written: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * The routers of every IPv6 interface of the model that exists here with IPv6;
 * loaded only when probing. Probing informs, never decides whether a run
 * succeeds: any failure (the FFI module, netlink, a socket) is a warning and
 * the drive alone decides.
 */
export async function observe(instance: Instance, timeoutMs: number, warnings: Warnings): Promise<InterfaceReport[]> {
  const ifaces = instance.interfaces.filter((i) => i.ipv6).map((i) => i.name);
  if (ifaces.length === 0) return [];
  try {
    const { observeRouters } = await import('./ra.js');
    const reports = observeRouters({ ifaces, missing: 'skip', timeoutMs, wire: true });
    for (const r of reports) {
      const why = r.source === 'none' ? r.notes.find((n) => n.startsWith('not root')) : undefined;
      if (why) warnings.add(r.name, `routers not asked (${why}); the drive decides the mode`);
    }
    return reports;
  } catch (e) {
    warnings.add('probe', `routers not asked (${(e as Error).message.split('\n')[0]}); the drive decides each mode`);
    return [];
  }
}

/** One result per sysctl: a value set before the probe and unchanged after still counts as changed. */
function mergeEarly(early: readonly LiveResult[], late: readonly LiveResult[]): LiveResult[] {
  const before = new Map(early.map((r) => [r.what, r]));
  return late.map((r) => {
    const e = before.get(r.what);
    return e && e.status === 'changed' && r.status === 'unchanged' ? { ...r, from: e.from, status: 'changed' } : r;
  });
}

export function formatApplyReport(r: ApplyReport): string {
  const lines: string[] = [];
  const verb = r.dryRun ? 'would write' : 'wrote';
  lines.push(`v6agent apply: ${r.distro}, ${r.stack.name} (${r.stack.evidence.join('; ')}), from ${r.source}${r.live ? '' : `, into ${r.root}`}${r.dryRun ? ' (dry run)' : ''}`);
  if (r.discovery) lines.push(`  metadata: ${r.discovery.answered} answered after ${r.discovery.elapsedMs} ms (${r.discovery.attempts.length} steps; \`v6agent metadata\` shows them)`);
  for (const i of r.interfaces) lines.push(`  ${i.name}: ${i.summary}`);
  for (const o of r.observed) lines.push(`  ${o.name}: router says ${o.mode} (from ${o.source}, ${o.elapsedMs.toFixed(0)} ms)`);
  for (const f of r.files) {
    lines.push(`  ${f.status.padEnd(9)} ${f.path}${f.backup ? ` (backup ${f.backup})` : ''}`);
    if (r.dryRun && f.diff) lines.push(...f.diff.trimEnd().split('\n').map((l) => `    ${l}`));
  }
  for (const s of [...r.sysctls, ...r.actions]) {
    if (s.status !== 'unchanged') lines.push(`  ${s.status.padEnd(9)} ${s.what} = ${s.to}${s.from !== undefined ? ` (was ${s.from})` : ''}`);
  }
  for (const a of r.reload?.actions ?? []) lines.push(`  ${(a.status === 'failed' || a.status === 'manual' ? a.status : 'ran').padEnd(9)} ${a.what}: ${a.to}`);
  for (const u of r.reload?.usable ?? []) lines.push(`  ${u.usable ? 'usable' : 'NOT usable'}  ${u.iface}: ${u.address ?? 'no global address'}, default via ${u.gateway ?? 'none'} (after ${(u.afterMs / 1000).toFixed(1)} s)`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (r.verdict) lines.push('fallback: no metadata source answered; wrote the fallback configuration (IPv6 autoconfiguration on every NIC, DHCPv4 on the first)');
  lines.push(r.changed ? `${verb} ${r.files.filter((f) => f.status !== 'unchanged').length} file(s)` : 'nothing to change: everything is already as planned');
  return `${lines.join('\n')}\n`;
}
