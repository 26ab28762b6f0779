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

export class V6Error extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.failure,
  ) {
    super(message);
    this.name = 'V6Error';
  }
}

/** Bad or missing input: the message names the file and, where known, the field. */
export function badInput(file: string, field: string | undefined, problem: string): V6Error {
  const where = field ? `${file}: ${field}` : file;
  return new V6Error(`${where}: ${problem}`, ExitCode.badInput);
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
