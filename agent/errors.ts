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

export class Warnings {
  readonly list: Warning[] = [];
  add(where: string, message: string): void {
    this.list.push({ where, message });
  }
}

export function formatWarning(w: Warning): string {
  return `warning: ${w.where}: ${w.message}`;
}
