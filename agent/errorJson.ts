/**
 * A failed command under `--json` prints one JSON object on stdout, so a script
 * never has to parse the human message on stderr (which is still printed):
 *
 *   {"ok": false, "error": {"code", "exitCode", "message", "file"?, "field"?, "errno"?}, …details}
 *
 * `code` is the kind of failure, fixed by the exit code and the cause:
 * usage (2), bad-input (3), os-refusal (1, with errno: EROFS, EACCES…),
 * failure (1), internal (1: a bug). Details some errors carry (the metadata
 * walk's `discovery`) sit beside `error`.
 */
import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { ExitCode, V6Error } from './errors.js';

export type ErrorCode = 'usage' | 'bad-input' | 'os-refusal' | 'failure' | 'internal';

export interface ErrorJson {
  readonly ok: false;
  readonly error: {
    readonly code: ErrorCode;
    readonly exitCode: ExitCode;
    readonly message: string;
    readonly file?: string;
    readonly field?: string;
    readonly errno?: string;
  };
  readonly [detail: string]: unknown;
}

/** The exit code main returns for `e`, and the object `--json` prints for it. */
export function errorJson(e: unknown): ErrorJson {
  if (e instanceof CommanderError) {
    // Commander's own message starts "error: "; the exit code is ours (usage), not commander's 1.
    return { ok: false, error: { code: 'usage', exitCode: ExitCode.usage, message: e.message.replace(/^error: /, '') } };
  }
  if (e instanceof V6Error) {
    const { file, field, errno } = e.place;
    const code: ErrorCode = e.exitCode === ExitCode.usage ? 'usage' : e.exitCode === ExitCode.badInput ? 'bad-input' : errno ? 'os-refusal' : 'failure';
    const error = { code, exitCode: e.exitCode, message: e.message, ...(file !== undefined && { file }), ...(field !== undefined && { field }), ...(errno !== undefined && { errno }) };
    return { ...e.details(), ok: false, error };
  }
  return { ok: false, error: { code: 'internal', exitCode: ExitCode.failure, message: `internal error: ${(e as Error)?.message ?? String(e)}` } };
}

/**
 * Did the command line ask for JSON? Read from argv itself, so that commander's
 * own usage errors (raised before any action runs) are JSON too: the first word
 * names a subcommand that has `--json`, and `--json` (or doctor's
 * `--format json`) is among its arguments before `--`.
 */
export function jsonRequested(program: Command, argv: readonly string[]): boolean {
  const args = argv.slice(2);
  const at = args.findIndex((a) => !a.startsWith('-'));
  const sub = at < 0 ? undefined : program.commands.find((c) => c.name() === args[at]);
  if (!sub || !sub.options.some((o) => o.long === '--json')) return false;
  const end = args.indexOf('--');
  const own = args.slice(at + 1, end < 0 ? undefined : end);
  return own.some((a, i) => a === '--json' || a === '--format=json' || (a === '--format' && own[i + 1] === 'json'));
}
