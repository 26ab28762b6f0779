/**
 * Where `apply --boot` gets the instance from: the config drive if it appears
 * within the drive wait; after a short grace without one, the metadata service
 * is asked at the same time, within what is left of the budget, so an instance
 * without a drive does not wait out the whole drive wait. A drive that appears
 * meanwhile still wins. The waiting and the asking are passed in (boot.ts
 * gives the real ones), so the race itself is testable without a VM.
 */
import type { Instance } from '../model/instance.js';
import type { BootWait } from '../sources/bootWait.js';
import { setTimeout as sleep } from 'node:timers/promises';

export type Found = { readonly kind: 'drive'; readonly wait: BootWait } | { readonly kind: 'service'; readonly wait: BootWait; readonly instance: Instance; readonly verdict: string | undefined };

export interface SourceRace {
  /** How long the drive alone is waited for before the service is asked too. */
  readonly graceMs: number;
  /** The whole search (drive wait + service). */
  readonly budgetMs: number;
  /** Poll for the drive until found or its bound; stops (resolves) when `signal` aborts. */
  readonly waitDrive: (signal: AbortSignal) => Promise<BootWait>;
  /** Ask the metadata service within `budgetMs`; a `verdict` means nothing answered (the fallback instance). */
  readonly askService: (budgetMs: number) => Promise<{ readonly instance: Instance; readonly verdict: string | undefined }>;
}

/**
 * Whichever way this returns (or throws), the drive poll and the grace timer
 * are stopped: a pending timer keeps the process alive, hence v6agent.service
 * unfinished and network-pre.target — so networking.service, networkd or
 * NetworkManager — held back for the rest of the drive wait (~5 s measured on
 * the no-drive VM boot) after the service has already answered.
 */
export async function raceSources(race: SourceRace): Promise<Found> {
  const stop = new AbortController();
  try {
    return await raceUntilFound(race, stop.signal);
  } finally {
    stop.abort();
  }
}

async function raceUntilFound(race: SourceRace, signal: AbortSignal): Promise<Found> {
  const t0 = performance.now();
  const drive = race.waitDrive(signal);
  const grace = sleep(race.graceMs, undefined, { signal }).catch(() => undefined);
  const early = await Promise.race([drive, grace]);
  if (early?.drive) return { kind: 'drive', wait: early };
  const service = race.askService(Math.max(1000, race.budgetMs - (performance.now() - t0))).then(
    (r) => ({ ok: true as const, ...r }),
    (e: unknown) => ({ ok: false as const, error: e }),
  );
  const first = await Promise.race([drive.then((w) => ({ w })), service]);
  if ('w' in first && first.w.drive) return { kind: 'drive', wait: first.w };
  const answer = await service;
  // The service said nothing useful: a drive that shows up before the drive wait ends is still better.
  if (!answer.ok || answer.verdict) {
    const w = await drive;
    if (w.drive) return { kind: 'drive', wait: w };
    if (!answer.ok) throw answer.error;
    return { kind: 'service', wait: w, instance: answer.instance, verdict: answer.verdict };
  }
  const w: BootWait = { drive: false, elapsedMs: performance.now() - t0, unsettled: [] };
  return { kind: 'service', wait: w, instance: answer.instance, verdict: undefined };
}
