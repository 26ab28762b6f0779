/** Running `dist/v6agent doctor --json` in a lab guest and reading its report, for the doctor lab tests. */
import { BIN } from '../bin.js';
import type { Lab } from './lab.js';

export interface DoctorGuest {
  readonly lab: Lab;
  readonly mac: string;
  readonly drive: string;
}

export interface Report {
  code: number;
  checks: { id: string; interface: string | null; status: string; observed: string; expected: string; why: string; fix: string }[];
  fixed: { id: string; interface: string | null; action: string; status: string; before: string; after: string }[];
}

/** doctor on eth0 with the guest's drive; a non-zero exit still yields the report. */
export async function doctor(g: DoctorGuest, ...args: string[]): Promise<Report> {
  let stdout: string;
  let code = 0;
  try {
    ({ stdout } = await g.lab.inGuest([BIN, 'doctor', 'eth0', '--json', '--config-drive', g.drive, '--probe-timeout', '1', ...args]));
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number' || !err.stdout) throw e;
    ({ stdout, code } = { stdout: err.stdout, code: err.code });
  }
  return { code, ...(JSON.parse(stdout) as Omit<Report, 'code'>) };
}

/** The non-ok findings as "status id", sorted: what a test compares exactly. */
export const problems = (r: Report): string[] => r.checks.filter((c) => c.status !== 'ok').map((c) => `${c.status} ${c.id}`).sort();
