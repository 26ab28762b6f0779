/**
 * Where an instance's facts came from and what was tried to get them: the
 * config drive, the metadata service over IPv6 (fe80::a9fe:a9fe on each
 * interface) or over IPv4 (169.254.169.254). Reported by `apply` and
 * `metadata`, and kept in the instance cache.
 */

export type SourceKind = 'drive' | 'ipv6' | 'ipv4';
/** What `--source` accepts: `auto` walks them all in order. */
export type SourceChoice = 'auto' | SourceKind;
export const SOURCE_CHOICES: readonly SourceChoice[] = ['auto', 'drive', 'ipv6', 'ipv4'];

/** One step of the walk: a drive lookup, a link check, a route, an HTTP request. */
export interface Attempt {
  readonly source: SourceKind;
  /** The interface, device or directory the step was about. */
  readonly where: string;
  /** What was done: `GET /openstack`, `link-local`, `route add …`. */
  readonly step: string;
  /** Milliseconds from the start of the walk. */
  readonly atMs: number;
  readonly ms: number;
  /** `200`, `404`, `connect ETIMEDOUT`, `found`, a note. */
  readonly result: string;
}

export interface Discovery {
  /** The source that answered; `none` when nothing did (the fallback configuration). */
  readonly answered: SourceKind | 'none';
  /** Directory or URL of the answer, e.g. `http://[fe80::a9fe:a9fe%25eth0]/openstack/latest`. */
  readonly origin: string | undefined;
  readonly elapsedMs: number;
  readonly attempts: readonly Attempt[];
}
