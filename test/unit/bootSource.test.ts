/**
 * apply --boot's source race (drive vs metadata service): whichever wins, the
 * drive poll and the grace timer stop, so the process exits as soon as the
 * boot work is done instead of holding v6agent.service (and network-pre.target,
 * hence the network manager) for the rest of the drive wait.
 */
import { describe, expect, it } from 'vitest';
import { raceSources, type SourceRace } from '../../agent/commands/bootSource.js';
import type { Instance } from '../../agent/model/instance.js';
import { waitForBootSources, type BootWait } from '../../agent/sources/bootWait.js';

const INSTANCE = { uuid: 'u-1', name: 'vm', hostname: 'vm', fqdn: undefined, manageEtcHosts: false, sshKeys: [], interfaces: [], dns: { nameservers: [], search: [] }, source: 'test' } as unknown as Instance;

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** A drive wait as the real one behaves: a pending timer until its bound, or until aborted; `appearsAfterMs` finds the drive. */
function driveWait(boundMs: number, appearsAfterMs?: number): { wait: SourceRace['waitDrive']; signal: () => AbortSignal | undefined } {
  let seen: AbortSignal | undefined;
  const wait = (signal: AbortSignal): Promise<BootWait> => {
    seen = signal;
    const t0 = performance.now();
    return new Promise((resolve) => {
      const done = (drive: boolean): void => {
        clearTimeout(timer);
        resolve({ drive, elapsedMs: performance.now() - t0, unsettled: [] });
      };
      const found = appearsAfterMs !== undefined && appearsAfterMs < boundMs;
      const timer = setTimeout(() => done(found), found ? appearsAfterMs : boundMs);
      signal.addEventListener('abort', () => done(false), { once: true });
    });
  };
  return { wait, signal: () => seen };
}

describe('apply --boot: drive or metadata service', () => {
  it('a metadata service answer ends the race at once and stops the drive wait, leaving no timer behind', async () => {
    const before = timers();
    const drive = driveWait(10_000);
    const t0 = performance.now();
    const found = await raceSources({ graceMs: 20, budgetMs: 10_000, waitDrive: drive.wait, askService: async () => ({ instance: INSTANCE, verdict: undefined }) });
    expect(found.kind).toBe('service');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(drive.signal()?.aborted).toBe(true);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('a drive found within the grace ends the race without asking the service or leaving the grace timer', async () => {
    const before = timers();
    let asked = false;
    const found = await raceSources({
      graceMs: 5_000,
      budgetMs: 10_000,
      waitDrive: driveWait(10_000, 10).wait,
      askService: async () => {
        asked = true;
        return { instance: INSTANCE, verdict: undefined };
      },
    });
    expect(found.kind).toBe('drive');
    expect(asked).toBe(false);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('a drive that appears while the service is still being asked wins', async () => {
    let answered: Promise<unknown> = Promise.resolve();
    const found = await raceSources({
      graceMs: 10,
      budgetMs: 10_000,
      waitDrive: driveWait(10_000, 50).wait,
      askService: () => (answered = new Promise((resolve) => setTimeout(() => resolve({ instance: INSTANCE, verdict: undefined }), 300))) as never,
    });
    expect(found.kind).toBe('drive');
    await answered;
  });

  it('when the service gives only the fallback, the drive wait runs to its bound (a late drive is still better)', async () => {
    const drive = driveWait(200);
    const t0 = performance.now();
    const found = await raceSources({ graceMs: 10, budgetMs: 10_000, waitDrive: drive.wait, askService: async () => ({ instance: INSTANCE, verdict: 'nothing answered' }) });
    expect(found).toMatchObject({ kind: 'service', verdict: 'nothing answered' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('the real drive poll stops when aborted, long before its bound', async () => {
    const before = timers();
    const stop = new AbortController();
    const t0 = performance.now();
    const waiting = waitForBootSources(10_000, undefined, stop.signal);
    setTimeout(() => stop.abort(), 100);
    const w = await waiting;
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(w.elapsedMs).toBeLessThan(2000);
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
