/**
 * `v6agent apply --boot`: the boot-time path, in one place, run by
 * v6agent.service before any network manager starts.
 *
 *   1. wait (bounded) for the config drive and for udev to finish naming NICs;
 *      when none has appeared after a short grace, ask the metadata service
 *      (fe80::a9fe:a9fe first) meanwhile, within the boot's total budget; a
 *      drive that appears still wins; if nothing answers, the fallback
 *      configuration is written and the boot reports it (exit 1);
 *   2. sysctls first: addr_gen_mode and use_tempaddr must be set before the
 *      link-local address is generated at link-up;
 *   3. bring each IPv6 link up, only so the routers can be asked (RS/RA);
 *   4. render and write network files, sysctls and DNS (every boot), the host
 *      name and SSH keys only for a new instance (meta_data.json uuid vs
 *      /var/lib/v6agent/instance-id);
 *   5. leave addresses and routes to the network manager that starts next.
 *
 * A probe that cannot run is a warning, never a failed boot. One journal line
 * gives the time taken against the budget (drive wait + probe + write).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Warnings, type Warning } from '../errors.js';
import { interfaceNames, loadInstance, parseIfaceMappings } from '../load.js';
import type { InterfaceNames } from '../model/build.js';
import { applyObservations } from '../model/observed.js';
import type { Instance } from '../model/instance.js';
import type { Sysctl } from '../plan/types.js';
import { bootPlan, INSTANCE_ID_PATH, parseInstanceId } from '../plan/perInstance.js';
import { waitForBootSources } from '../sources/bootWait.js';
import { raceSources, type Found } from './bootSource.js';
import { readTarget } from '../sources/target.js';
import { recoverJournal, STATE_DIR } from '../apply/journal.js';
import { takeLock } from '../apply/lock.js';
import { loadForApply } from './applySources.js';
import { writeFiles } from '../apply/write.js';
import { applyActions, applySysctls, type LiveResult } from '../apply/live.js';
import { bringLinksUp } from '../apply/links.js';
import { afterWrite } from '../apply/reload.js';
import type { InterfaceReport } from '../ra/observe.js';
import { applyReport, formatApplyReport, LIVE_LOCK, LOCK_WAIT_MS, observe, osRefusal, planFor, saveCache, type ApplyReport } from './apply.js';

export interface BootOptions {
  readonly configDrive: string | undefined;
  readonly distro: string | undefined;
  readonly stack: string | undefined;
  readonly iface: readonly string[];
  readonly probe: boolean;
  readonly probeTimeoutMs: number;
  readonly driveWaitMs: number;
  /** The whole search for a source (drive wait + metadata service), when no drive appears. */
  readonly budgetMs?: number;
}

/** Default total for finding a source at boot: the drive, else the metadata service (issue: ≤ 10 s). */
export const BOOT_SOURCE_BUDGET_MS = 10_000;
/** How long the drive alone is waited for before the metadata service is asked too. */
const DRIVE_GRACE_MS = 2_000;

/** What writing may take at most before we call the boot slow (fsyncs on a busy disk). */
export const WRITE_BUDGET_MS = 2000;

export interface BootTiming {
  readonly driveWaitMs: number;
  readonly probeMs: number;
  readonly writeMs: number;
  readonly totalMs: number;
  /** drive wait bound + probe bound + write budget. */
  readonly budgetMs: number;
}

export interface BootReport {
  readonly drive: boolean;
  /** Where the instance came from: the config drive, the metadata service, or nothing (the fallback). */
  readonly source: 'drive' | 'service' | 'fallback';
  /** meta_data.json uuid; undefined without a drive or without a uuid. */
  readonly instanceId: string | undefined;
  /** Host name and SSH keys were (re)applied: the instance id is new. */
  readonly newInstance: boolean;
  readonly links: readonly LiveResult[];
  readonly earlySysctls: readonly LiveResult[];
  readonly timing: BootTiming;
  readonly apply: ApplyReport | undefined;
  readonly warnings: readonly Warning[];
}

const PROC_SYS = '/proc/sys';

/** Sysctls of interfaces that exist now; udev runs systemd-sysctl for the others (bonds, VLANs) when they appear. */
function presentOnly(sysctls: readonly Sysctl[]): Sysctl[] {
  return sysctls.filter((s) => existsSync(`${PROC_SYS}/${s.proc.slice(0, s.proc.lastIndexOf('/'))}`));
}

function readStoredId(): string | undefined {
  try {
    return parseInstanceId(readFileSync(INSTANCE_ID_PATH, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The drive or the metadata service (bootSource.ts); the service's warnings count only when it was the one used. */
async function findSource(opts: BootOptions, names: () => InterfaceNames, warnings: Warnings): Promise<Found> {
  const serviceWarnings = new Warnings();
  const keep = (): void => {
    for (const x of serviceWarnings.list) warnings.add(x.where, x.message);
  };
  try {
    const found = await raceSources({
      graceMs: Math.min(DRIVE_GRACE_MS, opts.driveWaitMs),
      budgetMs: opts.budgetMs ?? BOOT_SOURCE_BUDGET_MS,
      waitDrive: (signal) => waitForBootSources(opts.configDrive !== undefined ? 0 : opts.driveWaitMs, opts.configDrive, signal),
      askService: (budgetMs) => loadForApply({ configDrive: undefined, source: 'auto', budgetMs, live: true, dryRun: false, bringUp: true }, names(), serviceWarnings),
    });
    if (found.kind === 'service') keep();
    return found;
  } catch (e) {
    keep();
    throw e;
  }
}

async function ipv6Links(instance: Instance, warnings: Warnings): Promise<LiveResult[]> {
  const wanted = new Set(instance.interfaces.filter((i) => i.ipv6).map((i) => i.name));
  if (wanted.size === 0) return [];
  try {
    const { readLinks } = await import('../facts/netlink.js');
    return bringLinksUp(readLinks().filter((l) => wanted.has(l.name)), warnings);
  } catch (e) {
    warnings.add('links', `cannot list links (${(e as Error).message.split('\n')[0]}); none brought up for the probe`);
    return [];
  }
}

export async function runBoot(opts: BootOptions): Promise<BootReport> {
  const warnings = new Warnings();
  // One run at a time, as apply; a killed run's commit is finished or undone first.
  const lock = await osRefusal('cannot take the lock', () => takeLock(LIVE_LOCK, 0o700, join('/', STATE_DIR), LOCK_WAIT_MS));
  try {
    await osRefusal('cannot finish or undo the interrupted commit', () => recoverJournal('/', warnings));
    return await bootLocked(opts, warnings);
  } finally {
    lock.release();
  }
}

async function bootLocked(opts: BootOptions, warnings: Warnings): Promise<BootReport> {
  const t0 = performance.now();
  const budgetMs = Math.max(opts.driveWaitMs, opts.budgetMs ?? BOOT_SOURCE_BUDGET_MS) + (opts.probe ? opts.probeTimeoutMs : 0) + WRITE_BUDGET_MS;
  // MAC → name from sysfs as it is when asked: after the wait, udev has renamed the NICs.
  const mappings = parseIfaceMappings(opts.iface);
  const names = (): InterfaceNames => interfaceNames(mappings, { sysfs: true, fallback: false });
  const found = await findSource(opts, names, warnings);
  const wait = found.wait;
  for (const name of wait.unsettled) warnings.add(name, `udev had not finished with this NIC after ${(wait.elapsedMs / 1000).toFixed(1)} s: its name may still change`);
  const timing = (probeMs: number, writeMs: number): BootTiming => ({ driveWaitMs: wait.elapsedMs, probeMs, writeMs, totalMs: performance.now() - t0, budgetMs });

  const declared = found.kind === 'drive' ? await loadInstance(opts.configDrive, names(), warnings) : found.instance;
  const verdict = found.kind === 'service' ? found.verdict : undefined;
  // The target (stack detection, passwd, …) once; its plan twice: first for the sysctls,
  // which must be set before any link comes up (its warnings are repeated by the final one).
  const bare = await readTarget('/', true, opts.distro, opts.stack, warnings);
  const early = planFor(declared, bare, new Warnings()).plan;
  const earlySysctls = applySysctls(presentOnly(early.sysctls), warnings);
  const tProbe = performance.now();
  const links = opts.probe ? await ipv6Links(declared, warnings) : [];
  const observed = opts.probe ? await observe(declared, opts.probeTimeoutMs, warnings) : [];
  const probeMs = performance.now() - tProbe;
  // The fallback declares no mode: the router deciding it is the point, not a disagreement to warn about.
  const instance = observed.length ? applyObservations(declared, observed, verdict ? new Warnings() : warnings) : declared;

  const tWrite = performance.now();
  const { target, plan: full } = planFor(instance, bare, warnings);
  if (instance.uuid === undefined && !verdict) warnings.add('meta_data.json', 'no uuid: the host name and SSH keys are applied at every boot');
  const { plan, newInstance } = bootPlan(full, instance.uuid, readStoredId());
  const files = await writeFiles('/', plan.files, new Date().toISOString().replace(/[:.]/g, '-'), plan.removals, warnings);
  const sysctls = applySysctls(presentOnly(plan.sysctls), warnings);
  const actions = [...applyActions(plan.actions, warnings), ...afterWrite(target.stack, files, warnings)];
  const writeMs = performance.now() - tWrite;
  // The cache describes an instance a source gave us, never the fallback.
  if (!verdict) saveCache(instance, warnings);
  const apply = applyReport({ root: '/', live: true, dryRun: false, target, instance, observed, files, sysctls, actions, reload: undefined, verdict, notes: plan.notes, warnings: [] });
  const source = found.kind === 'drive' ? 'drive' : verdict ? 'fallback' : 'service';
  return { drive: found.kind === 'drive', source, instanceId: instance.uuid, newInstance, links, earlySysctls, timing: timing(probeMs, writeMs), apply, warnings: warnings.list };
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** The journal line: what kind of boot, and the time taken against the budget. */
export function bootLine(r: BootReport): string {
  const t = r.timing;
  const who = r.source === 'fallback' ? 'no config drive and no metadata service answered: fallback configuration written' : r.newInstance ? `new instance ${r.instanceId ?? '(no uuid)'}: host name and SSH keys set` : `same instance ${r.instanceId}: host name and SSH keys left as they are`;
  return `v6agent boot: ${who}; drive wait ${s(t.driveWaitMs)}, router probe ${s(t.probeMs)}, write ${s(t.writeMs)}; total ${s(t.totalMs)} of a ${s(t.budgetMs)} budget`;
}

export function formatBootReport(r: BootReport): string {
  const lines: string[] = [];
  for (const l of r.links) if (l.status !== 'unchanged') lines.push(`  ${l.status.padEnd(9)} ${l.what} ${l.to} (for the router probe)`);
  const body = r.apply ? formatApplyReport(r.apply) : '';
  return `${body}${lines.length ? `${lines.join('\n')}\n` : ''}${bootLine(r)}\n`;
}
