/**
 * Which instance `apply` configures: the sources walked in their order, or —
 * live, when none answered — the fallback configuration, with the verdict.
 * `apply --boot` calls this with what is left of its budget after the drive wait.
 */
import { readFileSync } from 'node:fs';
import { V6Error, type Warnings } from '../errors.js';
import { discoverInstance } from '../load.js';
import type { InterfaceNames } from '../model/build.js';
import { fallbackInstance } from '../model/fallback.js';
import type { Instance } from '../model/instance.js';
import type { SourceChoice } from '../model/discovery.js';
import { NoSource } from '../sources/compose.js';
import { ethernetInterfaces } from '../sources/serviceLink.js';
import { INSTANCE_ID_PATH } from '../plan/perInstance.js';

/** Where `apply --boot` records the instance it configured (once-per-instance work keys on it). */

function configuredInstance(path = INSTANCE_ID_PATH): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim().split('\n')[0] || undefined;
  } catch {
    return undefined;
  }
}

/** Default total time for the walk (drive, IPv6 service, IPv4 service). */
export const DEFAULT_BUDGET_MS = 10_000;

export interface SourceOptions {
  readonly configDrive: string | undefined;
  /** Default: `auto` live; under --root only the drive (never the build host's metadata service). */
  readonly source?: SourceChoice | undefined;
  readonly budgetMs?: number | undefined;
  readonly live: boolean;
  readonly dryRun: boolean;
  /** At boot: bring down Ethernet interfaces up (EUI-64 link-local) before asking the IPv6 service. */
  readonly bringUp?: boolean | undefined;
}

export interface ApplySource {
  readonly instance: Instance;
  /** Set when nothing answered and the fallback configuration was chosen: what was tried. */
  readonly verdict: string | undefined;
}

export async function loadForApply(opts: SourceOptions, names: InterfaceNames, warnings: Warnings): Promise<ApplySource> {
  const source = opts.source ?? (opts.live ? 'auto' : 'drive');
  try {
    const instance = await discoverInstance(
      { source, configDrive: opts.configDrive, budgetMs: opts.budgetMs ?? DEFAULT_BUDGET_MS, mutate: opts.live && !opts.dryRun, bringUp: opts.live && !opts.dryRun && opts.bringUp === true },
      names,
      warnings,
    );
    return { instance, verdict: undefined };
  } catch (e) {
    // Only a live run that asked every source falls back; an explicit --source or --root reports the failure.
    if (!(e instanceof NoSource) || !opts.live || source !== 'auto') throw e;
    // A source configured this VM before: its files keep it reachable better than the fallback would.
    const previous = configuredInstance();
    if (previous) throw new V6Error(`${e.message}\nkept the configuration written for instance ${previous} (${INSTANCE_ID_PATH}): nothing written`);
    return { instance: { ...fallbackInstance(ethernetInterfaces({ up: false })), discovery: e.discovery }, verdict: e.message };
  }
}
