/**
 * At boot the unit starts while udev is still discovering hardware: nova's
 * config drive is an IDE cdrom that appears only once udev has loaded
 * ata_piix/sr_mod, and NICs may not have their final (predictable) names yet.
 * Poll both, bounded; read-only.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findLabelledDevices, findMountedDrive } from './configDrive.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BootWait {
  /** The drive was found (mounted, or a device labelled config-2, any case). */
  readonly drive: boolean;
  readonly elapsedMs: number;
  /** NICs udev had not finished with when we stopped waiting. */
  readonly unsettled: readonly string[];
}

/**
 * NICs udev has not processed yet: each gets /run/udev/data/n<ifindex> once
 * its rules (and the rename) are done. Without a running udev there is nothing to wait for.
 */
export function unsettledNics(sysClassNet = '/sys/class/net', udevRun = '/run/udev'): string[] {
  if (!existsSync(join(udevRun, 'control'))) return [];
  let names: string[];
  try {
    names = readdirSync(sysClassNet);
  } catch {
    return [];
  }
  return names.filter((name) => {
    if (!existsSync(join(sysClassNet, name, 'device'))) return false;
    try {
      const index = readFileSync(join(sysClassNet, name, 'ifindex'), 'utf8').trim();
      return !existsSync(join(udevRun, 'data', `n${index}`));
    } catch {
      return false; // vanished (renamed) while we looked: look again next round
    }
  });
}

/**
 * Wait up to `timeoutMs` for the config drive and for udev to settle the NICs,
 * polling every 50 ms. `signal` stops the wait at once (it resolves with what
 * it saw last): a pending poll timer keeps the process — and with it
 * v6agent.service, network-pre.target and the network manager — waiting out
 * the whole bound after the metadata service has already answered.
 */
export async function waitForBootSources(timeoutMs: number, given: string | undefined, signal?: AbortSignal): Promise<BootWait> {
  const t0 = performance.now();
  for (;;) {
    const drive = given !== undefined || findMountedDrive() !== undefined || findLabelledDevices().length > 0;
    const unsettled = unsettledNics();
    const elapsedMs = performance.now() - t0;
    if ((drive && unsettled.length === 0) || elapsedMs >= timeoutMs || signal?.aborted) return { drive, elapsedMs, unsettled };
    await sleep(50, undefined, { signal }).catch(() => undefined);
  }
}
