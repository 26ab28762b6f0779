/**
 * `v6agent apply --boot`: the boot-time path, in one place, run by
 * v6agent.service before any network manager starts.
 *
 *   1. wait (bounded) for the config drive and for udev to finish naming NICs;
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
import { Warnings, type Warning } from '../errors.js';
import { interfaceNames, loadInstance, parseIfaceMappings } from '../load.js';
import { applyObservations } from '../model/observed.js';
import type { Instance } from '../model/instance.js';
import type { Sysctl } from '../plan/types.js';
import { bootPlan, INSTANCE_ID_PATH, parseInstanceId } from '../plan/perInstance.js';
import { waitForBootSources } from '../sources/bootWait.js';
import { writeFiles } from '../apply/write.js';
import { applyActions, applySysctls, type LiveResult } from '../apply/live.js';
import { bringLinksUp } from '../apply/links.js';
import { afterWrite } from '../apply/reload.js';
import type { InterfaceReport } from '../ra/observe.js';
import { applyReport, formatApplyReport, observe, planFor, type ApplyReport } from './apply.js';

export interface BootOptions {
  readonly configDrive: string | undefined;
  readonly distro: string | undefined;
  readonly stack: string | undefined;
  readonly iface: readonly string[];
  readonly probe: boolean;
  readonly probeTimeoutMs: number;
  readonly driveWaitMs: number;
}

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

async function probeSafely(instance: Instance, timeoutMs: number, warnings: Warnings): Promise<InterfaceReport[]> {
  try {
    return await observe(instance, timeoutMs);
  } catch (e) {
    warnings.add('router probe', `not run (${(e as Error).message.split('\n')[0]}); the config drive alone decides each mode`);
    return [];
  }
}

async function ipv6Links(instance: Instance, warnings: Warnings): Promise<LiveResult[]> {
  const wanted = new Set(instance.interfaces.filter((i) => i.ipv6).map((i) => i.name));
  if (wanted.size === 0) return [];
  try {
    const { dumpLinks } = await import('../ra/kernel.js');
    return bringLinksUp(dumpLinks().filter((l) => wanted.has(l.name)), warnings);
  } catch (e) {
    warnings.add('links', `cannot list links (${(e as Error).message.split('\n')[0]}); none brought up for the probe`);
    return [];
  }
}

export async function runBoot(opts: BootOptions): Promise<BootReport> {
  const t0 = performance.now();
  const budgetMs = opts.driveWaitMs + (opts.probe ? opts.probeTimeoutMs : 0) + WRITE_BUDGET_MS;
  const warnings = new Warnings();
  const wait = await waitForBootSources(opts.driveWaitMs, opts.configDrive);
  for (const name of wait.unsettled) warnings.add(name, `udev had not finished with this NIC after ${(wait.elapsedMs / 1000).toFixed(1)} s: its name may still change`);
  const timing = (probeMs: number, writeMs: number): BootTiming => ({ driveWaitMs: wait.elapsedMs, probeMs, writeMs, totalMs: performance.now() - t0, budgetMs });
  if (!wait.drive) {
    // The metadata service (a later stage) slots in here; until then there is nothing to configure from.
    warnings.add('config drive', `none after ${(opts.driveWaitMs / 1000).toFixed(1)} s (no device labelled config-2): nothing configured this boot`);
    return { drive: false, instanceId: undefined, newInstance: false, links: [], earlySysctls: [], timing: timing(0, 0), apply: undefined, warnings: warnings.list };
  }

  const names = interfaceNames(parseIfaceMappings(opts.iface), { sysfs: true, fallback: false });
  const declared = await loadInstance(opts.configDrive, names, warnings);
  // Sysctls before any link comes up (warnings of this first plan are repeated by the final one).
  const early = planFor(declared, '/', true, opts, new Warnings()).plan;
  const earlySysctls = applySysctls(presentOnly(early.sysctls), warnings);
  const tProbe = performance.now();
  const links = opts.probe ? await ipv6Links(declared, warnings) : [];
  const observed = opts.probe ? await probeSafely(declared, opts.probeTimeoutMs, warnings) : [];
  const probeMs = performance.now() - tProbe;
  const instance = observed.length ? applyObservations(declared, observed, warnings) : declared;

  const tWrite = performance.now();
  const { target, plan: full } = planFor(instance, '/', true, opts, warnings);
  if (instance.uuid === undefined) warnings.add('meta_data.json', 'no uuid: the host name and SSH keys are applied at every boot');
  const { plan, newInstance } = bootPlan(full, instance.uuid, readStoredId());
  const files = await writeFiles('/', plan.files, new Date().toISOString().replace(/[:.]/g, '-'), plan.removals);
  const sysctls = applySysctls(presentOnly(plan.sysctls), warnings);
  const actions = [...applyActions(plan.actions, warnings), ...afterWrite(target.stack, files, warnings)];
  const writeMs = performance.now() - tWrite;
  const apply = applyReport({ root: '/', live: true, dryRun: false, target, instance, observed, files, sysctls, actions, reload: undefined, notes: plan.notes, warnings: [] });
  return { drive: true, instanceId: instance.uuid, newInstance, links, earlySysctls, timing: timing(probeMs, writeMs), apply, warnings: warnings.list };
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** The journal line: what kind of boot, and the time taken against the budget. */
export function bootLine(r: BootReport): string {
  const t = r.timing;
  const who = !r.drive ? 'no config drive' : r.newInstance ? `new instance ${r.instanceId ?? '(no uuid)'}: host name and SSH keys set` : `same instance ${r.instanceId}: host name and SSH keys left as they are`;
  return `v6agent boot: ${who}; drive wait ${s(t.driveWaitMs)}, router probe ${s(t.probeMs)}, write ${s(t.writeMs)}; total ${s(t.totalMs)} of a ${s(t.budgetMs)} budget`;
}

export function formatBootReport(r: BootReport): string {
  const lines: string[] = [];
  for (const l of r.links) if (l.status !== 'unchanged') lines.push(`  ${l.status.padEnd(9)} ${l.what} ${l.to} (for the router probe)`);
  const body = r.apply ? formatApplyReport(r.apply) : '';
  return `${body}${lines.length ? `${lines.join('\n')}\n` : ''}${bootLine(r)}\n`;
}
