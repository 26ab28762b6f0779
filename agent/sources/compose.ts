/**
 * The one place the metadata sources are composed: the config drive, else
 * the metadata service over IPv6 raced on every up interface (staggered
 * 150 ms, as cloud-init staggers its URLs; first good answer wins), else over
 * IPv4 — only when the instance has IPv4, so an IPv6-only instance never
 * waits on it. Never runs a DHCPv4 client. Everything tried is timed.
 */
import { ExitCode, V6Error } from '../errors.js';
import type { Discovery, SourceChoice, SourceKind } from '../model/discovery.js';
import type { SourceDocuments } from './documents.js';
import { isNoDrive, readDriveDocuments } from './driveSource.js';
import type { RetryPolicy } from './http.js';
import { fetchService, ipv4Endpoint, ipv6Endpoint, ServiceFailure, type FetchContext } from './metadataService.js';
import { addTemporaryRoute, bringLinkUp, checkLinkLocal, ethernetInterfaces, hasIpv4Route, hasMetadataRoute, kernelRouters, probeMetadataRoutes, type Candidate, type LinkCheck, type RouterHint } from './serviceLink.js';
import { formatAttempt, Timeline } from './timeline.js';
import { setTimeout as sleep } from 'node:timers/promises';


export interface DiscoverOptions {
  readonly source: SourceChoice;
  readonly configDrive: string | undefined;
  /** Total time for the whole walk, drive included. */
  readonly budgetMs: number;
  /** May change the system on the way (addr_gen_mode=0): apply yes, `metadata` no. Temporary routes are always undone. */
  readonly mutate: boolean;
  /** Only these interfaces for IPv6 (default: every up Ethernet interface). */
  readonly interfaces?: readonly string[];
  /**
   * At boot, before the network stack: bring every Ethernet interface that is
   * down up first, with addr_gen_mode=0 so its link-local is the EUI-64 one.
   * They are left up for the network stack to take over.
   */
  readonly bringUp?: boolean;
}

export interface Discovered {
  readonly documents: SourceDocuments;
  readonly discovery: Discovery;
}

/** Nothing answered: the message is the summary of what was tried; `discovery` has the timeline. */
export class NoSource extends V6Error {
  constructor(message: string, readonly discovery: Discovery) {
    super(message, ExitCode.failure);
  }

  /** `metadata --json` still gets the timeline of what was tried. */
  override details(): Record<string, unknown> {
    return { discovery: this.discovery };
  }
}

export const STAGGER_MS = 150;
const POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 2000 };
const CONNECT_MS = 1000;
const READ_MS = 3000;
const PROBE_MS = 1000;
const PROBE_AFTER_LINK_UP_MS = 4000;
const DAD_WAIT_MS = 2500;

const isRoot = (): boolean => process.getuid?.() === 0;

export async function discover(opts: DiscoverOptions): Promise<Discovered> {
  const timeline = new Timeline();
  const deadline = performance.now() + opts.budgetMs;
  const failures: string[] = [];
  const done = (answered: SourceKind, documents: SourceDocuments): Discovered => ({
    documents,
    discovery: { answered, origin: documents.origin, elapsedMs: Math.round(timeline.now()), attempts: timeline.attempts },
  });

  if (opts.source === 'auto' || opts.source === 'drive') {
    const start = timeline.now();
    try {
      const documents = await readDriveDocuments(opts.configDrive);
      timeline.add('drive', 'drive', 'find config drive', start, `found ${documents.origin}`);
      return done('drive', documents);
    } catch (e) {
      // A drive that is there but unreadable is an error to fix, not a reason to ask the network.
      if (!isNoDrive(e) || opts.source === 'drive' || opts.configDrive !== undefined) throw e;
      timeline.add('drive', 'drive', 'find config drive', start, 'none (no mounted drive, no device labelled config-2)');
      failures.push('config drive: none');
    }
  }

  const v4 = opts.source === 'ipv4' || (opts.source === 'auto' && hasIpv4Route());
  if (opts.source === 'auto' || opts.source === 'ipv6') {
    // Leave IPv4 a share of the budget when it will be asked.
    const v6Deadline = v4 && opts.source === 'auto' ? performance.now() + (deadline - performance.now()) * 0.6 : deadline;
    const r = await raceIpv6(opts, timeline, v6Deadline);
    if ('documents' in r) return done('ipv6', r.documents);
    failures.push(...r.failures);
  }
  if (opts.source === 'auto' && !v4) {
    const start = timeline.now();
    timeline.add('ipv4', 'ipv4', 'skip', start, 'no IPv4 address or route: the IPv4 service is not asked');
  }
  if (v4) {
    const ep = ipv4Endpoint();
    try {
      return done('ipv4', await fetchService(ep, context(timeline, deadline)));
    } catch (e) {
      if (!(e instanceof ServiceFailure)) throw e;
      failures.push(`ipv4: ${e.message}`);
    }
  }
  const discovery: Discovery = { answered: 'none', origin: undefined, elapsedMs: Math.round(timeline.now()), attempts: timeline.attempts };
  const summary = [
    `no metadata source answered within ${(timeline.now() / 1000).toFixed(1)} s (budget ${(opts.budgetMs / 1000).toFixed(1)} s):`,
    ...failures.map((f) => `  ${f}`),
    'tried:',
    ...timeline.attempts.map((a) => `  ${formatAttempt(a)}`),
  ];
  throw new NoSource(summary.join('\n'), discovery);
}

function context(timeline: Timeline, deadline: number, signal?: AbortSignal, connectAttempts = POLICY.attempts): FetchContext {
  return { timeline, deadline, policy: POLICY, connectAttempts, connectMs: CONNECT_MS, readMs: READ_MS, signal };
}

async function raceIpv6(opts: DiscoverOptions, timeline: Timeline, deadline: number): Promise<{ documents: SourceDocuments } | { failures: string[] }> {
  let broughtUp = false;
  if (opts.bringUp) {
    const up = new Set(ethernetInterfaces({ up: true }).map((c) => c.name));
    for (const c of ethernetInterfaces({ up: false }).filter((x) => !up.has(x.name))) {
      const start = timeline.now();
      timeline.add('ipv6', c.name, 'link up (addr_gen_mode 0)', start, await bringLinkUp(c.name));
      broughtUp = true;
    }
  }
  const all = ethernetInterfaces({ up: true });
  const candidates = opts.interfaces ? all.filter((c) => opts.interfaces!.includes(c.name)) : all;
  if (candidates.length === 0) {
    timeline.add('ipv6', '-', 'find interfaces', timeline.now(), 'no Ethernet interface is up with IPv6');
    return { failures: ['ipv6: no Ethernet interface is up with IPv6'] };
  }
  // Every link-local checked at once: EUI-64, past DAD (a link just brought up needs about a second).
  const links = new Map(
    await Promise.all(
      candidates.map(async (c): Promise<[string, LinkCheck]> => {
        const start = timeline.now();
        const link = await checkLinkLocal(c, { mutate: opts.mutate, waitMs: Math.min(DAD_WAIT_MS, Math.max(0, deadline - performance.now())) });
        timeline.add('ipv6', c.name, 'link-local', start, link.result);
        return [c.name, link];
      }),
    ),
  );
  // Where the kernel has no route to the service, ask the routers whether they announce one.
  const unrouted = candidates.filter((c) => !hasMetadataRoute(c.name)).map((c) => c.name);
  let hints = new Map<string, RouterHint>();
  if (unrouted.length && isRoot()) {
    const start = timeline.now();
    // radvd answers a solicitation at most once per MinDelayBetweenRAs (3 s): right after link-up it may be that late.
    const probeMs = broughtUp ? PROBE_AFTER_LINK_UP_MS : PROBE_MS;
    try {
      hints = await probeMetadataRoutes(unrouted, Math.max(100, Math.min(probeMs, deadline - performance.now())));
      for (const name of unrouted) {
        const h = hints.get(name);
        timeline.add('ipv6', name, 'router solicitation', start, h?.router ? `router ${h.router}${h.announcesMetadata ? ' announces route fe80::a9fe:a9fe/128' : ', no route to fe80::a9fe:a9fe announced'}` : 'no router answered');
      }
    } catch (e) {
      timeline.add('ipv6', unrouted.join(','), 'router solicitation', start, `failed: ${(e as Error).message}`);
    }
  }
  const controller = new AbortController();
  const failures: string[] = [];
  const tasks = candidates.map((c, i) =>
    tryInterface(c, links.get(c.name)!, i * STAGGER_MS, hints.get(c.name), timeline, deadline, controller.signal).catch((e: unknown) => {
      if (!controller.signal.aborted) failures.push(`ipv6 ${c.name}: ${(e as Error).message}`);
      throw e;
    }),
  );
  try {
    const documents = await Promise.any(tasks);
    return { documents };
  } catch {
    return { failures };
  } finally {
    controller.abort();
    // Every temporary route is removed before we go on.
    await Promise.allSettled(tasks);
  }
}

async function tryInterface(c: Candidate, link: LinkCheck, delayMs: number, hint: RouterHint | undefined, timeline: Timeline, deadline: number, signal: AbortSignal): Promise<SourceDocuments> {
  if (delayMs) await sleep(delayMs);
  if (signal.aborted) throw new Error('aborted');
  let start = timeline.now();
  const notIdentified = link.notEui64 ? `the port was not identified: ${link.notEui64}` : undefined;

  type Way = { kind: 'route' } | { kind: 'on-link' } | { kind: 'via'; router: string };
  // No router answered our solicitation in time: one the kernel learnt from an earlier RA will do.
  const router = hint?.router ?? kernelRouters(c.name)[0];
  const ways: Way[] = hasMetadataRoute(c.name)
    ? [{ kind: 'route' }]
    : hint?.router && hint.announcesMetadata
      ? [{ kind: 'via', router: hint.router }]
      : [{ kind: 'on-link' }, ...(router && isRoot() ? [{ kind: 'via' as const, router }] : [])];
  let last: Error = new Error('not tried');
  for (const [n, way] of ways.entries()) {
    if (signal.aborted || performance.now() >= deadline) break;
    let undo: (() => Promise<void>) | undefined;
    if (way.kind === 'via') {
      start = timeline.now();
      try {
        undo = await addTemporaryRoute(c.name, way.router);
        timeline.add('ipv6', c.name, `route add fe80::a9fe:a9fe/128 via ${way.router}`, start, 'ok (temporary)');
      } catch (e) {
        timeline.add('ipv6', c.name, `route add fe80::a9fe:a9fe/128 via ${way.router}`, start, `failed: ${(e as Error).message}`);
        last = e as Error;
        continue;
      }
    }
    try {
      // On-link first with a router to fall back to: fewer connection tries, then the router.
      const connectAttempts = way.kind === 'on-link' && n + 1 < ways.length ? 2 : POLICY.attempts;
      return await fetchService(ipv6Endpoint(c.name, link.source), context(timeline, deadline, signal, connectAttempts), notIdentified);
    } catch (e) {
      last = e as Error;
      // Only an unreachable service is worth another way; an answer (even an error) came from it.
      if (!(e instanceof ServiceFailure) || !e.unreached) break;
    } finally {
      if (undo) {
        start = timeline.now();
        await undo();
        timeline.add('ipv6', c.name, 'route del fe80::a9fe:a9fe/128', start, 'removed');
      }
    }
  }
  throw last;
}
