/** The attempts of one walk over the sources, timed from its start. */
import type { Attempt, SourceKind } from '../model/discovery.js';

export class Timeline {
  readonly attempts: Attempt[] = [];
  private readonly t0 = performance.now();

  now(): number {
    return performance.now() - this.t0;
  }

  /** Record a step that started at `startMs` (from `now()`) and ended now. */
  add(source: SourceKind, where: string, step: string, startMs: number, result: string): void {
    const end = this.now();
    this.attempts.push({ source, where, step, atMs: round(startMs), ms: round(end - startMs), result });
  }
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** One line per attempt, for the failure summary and `metadata`'s timeline. */
export function formatAttempt(a: Attempt): string {
  return `${a.atMs.toFixed(0).padStart(6)} ms  ${a.source.padEnd(5)} ${a.where.padEnd(8)} ${a.step}: ${a.result} (${a.ms.toFixed(0)} ms)`;
}
