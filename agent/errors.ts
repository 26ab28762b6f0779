/**
 * Errors are values with a message a person can act on. `V6Error` carries the
 * exit code the CLI uses; anything else that escapes is a bug (exit 1).
 */

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  badInput: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Where an error is, for scripts (`--json`): the message already says it for people. */
export interface ErrorPlace {
  readonly file?: string | undefined;
  readonly field?: string | undefined;
  /** The operating system's error code of an OS refusal: EROFS, EACCES, EBUSY… */
  readonly errno?: string | undefined;
}

export class V6Error extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.failure,
    readonly place: ErrorPlace = {},
  ) {
    super(message);
    this.name = 'V6Error';
  }

  /** What `--json` prints beside the error object (agent/errorJson.ts); subclasses add theirs. */
  details(): Record<string, unknown> {
    return {};
  }
}

/** Bad or missing input: the message names the file and, where known, the field. */
export function badInput(file: string, field: string | undefined, problem: string, cause?: unknown): V6Error {
  const where = field ? `${file}: ${field}` : file;
  return new V6Error(`${where}: ${problem}`, ExitCode.badInput, { file, field, errno: errnoOf(cause) });
}

export function usageError(message: string): V6Error {
  return new V6Error(message, ExitCode.usage);
}

/** Something skipped or dropped on the way; reported to the user, never fatal. */
export interface Warning {
  readonly where: string;
  readonly message: string;
}

/**
 * Input decides how many warnings there are (60,000 bad keys are 60,000
 * warnings), so they are capped in number and length: the report stays
 * readable and its size bounded, and the last entry says how many were left out.
 */
export const MAX_WARNINGS = 100;
const MAX_TEXT = 500;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${groupDigits(text.length - MAX_TEXT)} more characters)` : text;
}

/** 59995 → "59,995" (without toLocaleString, which loads ICU data at boot). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

export class Warnings {
  private readonly kept: Warning[] = [];
  private dropped = 0;
  add(where: string, message: string): void {
    if (this.kept.length >= MAX_WARNINGS) this.dropped++;
    else this.kept.push({ where: clip(where), message: clip(message) });
  }
  get list(): Warning[] {
    if (this.dropped === 0) return [...this.kept];
    return [...this.kept, { where: 'v6agent', message: `… and ${groupDigits(this.dropped)} more warning${this.dropped === 1 ? '' : 's'} not shown` }];
  }
}

export function formatWarning(w: Warning): string {
  return `warning: ${w.where}: ${w.message}`;
}

/** The OS error code (EROFS, EACCES…) of an error, or of the error it wraps; undefined when it is not the OS's. */
export function errnoOf(e: unknown): string | undefined {
  for (let x = e, depth = 0; x && typeof x === 'object' && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  }
  return undefined;
}
