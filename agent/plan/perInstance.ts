/**
 * Once per instance, as cloud-init's "check" frequency: the host name and SSH
 * keys are set only when meta_data.json's uuid differs from the one stored, so
 * an admin's later changes survive reboots and an image captured from a running
 * VM still takes its next instance's name and keys. Network files, sysctls and
 * DNS are rendered every boot (idempotent). Pure.
 */
import type { Plan, PlannedFile } from './types.js';

export const INSTANCE_ID_PATH = '/var/lib/v6agent/instance-id';

/** Files that belong to the instance's identity rather than to its network. */
export function isPerInstance(path: string): boolean {
  return path === '/etc/hostname' || path === '/etc/hosts' || path.endsWith('/.ssh/authorized_keys');
}

/** The stored id as written by `instanceIdFile`; undefined when none or empty. */
export function parseInstanceId(text: string | undefined): string | undefined {
  const id = text?.trim();
  return id ? id : undefined;
}

export function instanceIdFile(uuid: string): PlannedFile {
  return { path: INSTANCE_ID_PATH, content: `${uuid}\n`, mode: 0o644, dir: { mode: 0o755 } };
}

/**
 * The boot plan: everything when this is a new instance (plus the id to
 * remember it), else the plan without the per-instance files and actions.
 */
export function bootPlan(plan: Plan, uuid: string | undefined, stored: string | undefined): { plan: Plan; newInstance: boolean } {
  const newInstance = uuid === undefined || uuid !== stored;
  if (newInstance) return { plan: uuid === undefined ? plan : { ...plan, files: [...plan.files, instanceIdFile(uuid)] }, newInstance };
  return { plan: { ...plan, files: plan.files.filter((f) => !isPerInstance(f.path)), actions: plan.actions.filter((a) => a.kind !== 'set-hostname') }, newInstance };
}
