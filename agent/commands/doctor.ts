/**
 * `v6agent doctor`: gather facts once, run the pure checks, and with --fix
 * commit the repairs through agent/apply, then check again and report
 * before → after. Exit 0 nothing fails, 1 something fails (2: could not run).
 */
import { Warnings } from '../errors.js';
import { applySysctls } from '../apply/live.js';
import { deleteAddress } from '../apply/addresses.js';
import { writeFiles, type FileResult } from '../apply/write.js';
import type { LiveResult } from '../apply/live.js';
import { nmModify } from '../apply/stackReapply.js';
import { ensureDhcpv6, reloadNetworkd } from '../apply/reload.js';
import { runChecks } from '../doctor/checks/index.js';
import { planRepairs, type RepairPlan } from '../doctor/fix.js';
import type { DoctorReport, FixResult } from '../doctor/format.js';
import { gatherFacts, type GatherOptions } from '../doctor/gather.js';
import type { Facts, Finding } from '../doctor/types.js';

export interface DoctorOptions extends GatherOptions {
  readonly fix: boolean;
}

interface Done {
  readonly finding: Finding;
  readonly action: string;
  readonly status: FixResult['status'];
}

/** The tools' results as one action line and status: failed if any step failed, saying why (the tools' warnings). */
function summarize(results: readonly LiveResult[], why: readonly string[], written?: FileResult): Pick<Done, 'action' | 'status'> {
  const failed = results.find((r) => r.status === 'failed');
  const steps = [...(written ? [`${written.path} ${written.status}`] : []), ...results.map((r) => r.to)];
  return { action: `${steps.join('; ')}${failed ? ` (failed: ${why.join('; ') || 'no reason given'})` : ''}`, status: failed ? 'failed' : results.length || written?.status === 'changed' ? 'changed' : 'unchanged' };
}

/** What a commit did, and the interfaces whose information-only DHCPv6 exchange it ran, answered. */
async function commit(facts: Facts, plan: RepairPlan, informed: string[] = []): Promise<Done[]> {
  const root = facts.root;
  const done: Done[] = [];
  const warnings = new Warnings();
  // The warnings a step added: the report has no warning list, so a failure says its reason in its action.
  const since = (n: number): string[] => warnings.list.slice(n).map((w) => w.message);
  const live = applySysctls(plan.sysctls, warnings);
  // One all-or-nothing commit for every file: sysctl.d and networkd drop-ins.
  const files = [...plan.files, ...plan.networkd.map((n) => n.file)];
  const written = files.length ? await writeFiles(root, files, new Date().toISOString().replace(/[:.]/g, '-')) : [];
  const persisted = (iface: string) => written.find((w) => w.path === `/etc/sysctl.d/60-v6agent-${iface}.conf`);
  plan.sysctls.forEach((s, n) => {
    const r = live[n]!;
    const iface = s.proc.split('/')[3]!;
    const file = persisted(iface);
    const where = file ? `; ${file.path} ${file.status}` : '';
    done.push({ finding: s.finding, action: `${s.key} = ${s.value} (was ${r.from ?? 'absent'})${where}`, status: r.status });
  });
  // Stack settings before addresses: a stack still set to privacy would add back what is deleted.
  for (const n of plan.nm) {
    const mark = warnings.list.length;
    const r = summarize(nmModify(n.profile, n.settings, warnings), since(mark));
    for (const finding of n.findings) done.push({ finding, ...r });
  }
  const changedDropins = plan.networkd.filter((n) => written.find((w) => w.path === n.file.path)?.status !== 'unchanged');
  if (changedDropins.length) {
    const ifaces = [...new Set(changedDropins.map((n) => n.iface).filter((i): i is string => i !== null))];
    const mark = warnings.list.length;
    const results = reloadNetworkd(ifaces, warnings);
    for (const n of plan.networkd) for (const finding of n.findings) done.push({ finding, ...summarize(results, since(mark), written.find((w) => w.path === n.file.path)) });
  }
  for (const d of plan.dhcpv6) {
    const mark = warnings.list.length;
    const results = ensureDhcpv6(facts.stack, d.iface, d.client, warnings);
    done.push({ finding: d.finding, ...summarize(results, since(mark)) });
    const last = results.at(-1);
    if (d.client === 'information-only' && last?.to.startsWith('dhclient -6') && results.every((r) => r.status === 'changed')) informed.push(d.iface);
  }
  for (const a of plan.addresses) {
    const r = deleteAddress(a.iface, a.address, a.prefixLength);
    done.push({ finding: a.finding, action: `ip -6 addr del ${r.what}${r.status === 'failed' ? `: ${r.to}` : ''}`, status: r.status });
  }
  return done;
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  let facts = await gatherFacts(opts);
  let checks = runChecks(facts);
  if (!opts.fix || !facts.live) return { checks, fixed: [] };

  const informed: string[] = [];
  const done = await commit(facts, planRepairs(facts, checks), informed);
  if (!done.length) return { checks, fixed: [] };
  // A sysctl repair can make the next one possible (addr_gen_mode = 0 adds the EUI-64 link-local; the
  // stable-privacy one can go only once it exists): one more round for addresses, then the final check.
  // dhclient 4.4's information-only client exits after its exchange: what the re-check cannot see, it is told.
  const regather = async (): Promise<Facts> => withInformed(await gatherFacts({ ...opts, probe: false }), informed);
  facts = await regather();
  const second = planRepairs(facts, runChecks(facts));
  if (second.addresses.length) {
    done.push(...(await commit(facts, { sysctls: [], files: [], addresses: second.addresses, dhcpv6: [], nm: [], networkd: [] })));
    facts = await regather();
  }
  checks = runChecks(facts);
  const after = (f: Finding) => checks.filter((c) => c.id === f.id && c.interface === f.interface).reduce<'ok' | 'warn' | 'fail'>((w, c) => (c.status === 'fail' || w === 'fail' ? 'fail' : c.status === 'warn' || w === 'warn' ? 'warn' : 'ok'), 'ok');
  const fixed = done.map((d): FixResult => ({ id: d.finding.id, interface: d.finding.interface, action: d.action, status: d.status, before: d.finding.status, after: after(d.finding) }));
  return { checks, fixed };
}

function withInformed(facts: Facts, informed: readonly string[]): Facts {
  return facts.live && informed.length ? { ...facts, live: { ...facts.live, informed } } : facts;
}

export function exitCodeOf(report: DoctorReport): number {
  return report.checks.some((c) => c.status === 'fail') ? 1 : 0;
}
