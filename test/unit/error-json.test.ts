/** The one JSON error object `--json` prints (agent/errorJson.ts), and when it is asked for. */
import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { errorJson, jsonRequested } from '../../agent/errorJson.js';
import { badInput, ExitCode, V6Error } from '../../agent/errors.js';
import { makeProgram } from '../../agent/cli.js';
import { NoSource } from '../../agent/sources/compose.js';

describe('errorJson', () => {
  it('a bad input names its file and field, exit 3', () => {
    expect(errorJson(badInput('/d/network_data.json', 'links[0].mtu', 'too small'))).toEqual({
      ok: false,
      error: { code: 'bad-input', exitCode: 3, message: '/d/network_data.json: links[0].mtu: too small', file: '/d/network_data.json', field: 'links[0].mtu' },
    });
  });

  it('an error carrying an errno is an os-refusal, exit 1', () => {
    expect(errorJson(new V6Error('x: EROFS', ExitCode.failure, { errno: 'EROFS' })).error).toEqual({ code: 'os-refusal', exitCode: 1, message: 'x: EROFS', errno: 'EROFS' });
  });

  it("commander's usage errors are usage, exit 2, without commander's 'error: ' prefix", () => {
    expect(errorJson(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'")).error).toEqual({ code: 'usage', exitCode: 2, message: "unknown option '--x'" });
  });

  it('no metadata source keeps the timeline beside the error', () => {
    const discovery = { answered: 'none' as const, origin: undefined, elapsedMs: 5, attempts: [] };
    expect(errorJson(new NoSource('nothing answered', discovery))).toEqual({ discovery, ok: false, error: { code: 'failure', exitCode: 1, message: 'nothing answered' } });
  });

  it('anything else is an internal error, exit 1', () => {
    expect(errorJson(new TypeError('boom')).error).toEqual({ code: 'internal', exitCode: 1, message: 'internal error: boom' });
  });
});

describe('jsonRequested', () => {
  const asks = (...args: string[]): boolean => jsonRequested(makeProgram(), ['node', 'v6agent', ...args]);
  it('is on for --json and --format json of a command that has --json', () => {
    expect(asks('apply', '--json')).toBe(true);
    expect(asks('doctor', '--format', 'json')).toBe(true);
    expect(asks('doctor', '--format=json')).toBe(true);
  });
  it('is off without it, after --, for prometheus, and for the top level', () => {
    expect(asks('apply')).toBe(false);
    expect(asks('apply', '--', '--json')).toBe(false);
    expect(asks('doctor', '--format', 'prometheus')).toBe(false);
    expect(asks('--json')).toBe(false);
    expect(asks('nosuchcommand', '--json')).toBe(false);
  });
});
