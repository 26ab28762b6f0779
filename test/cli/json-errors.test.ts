/**
 * Under `--json`, a failing command prints exactly one JSON object on stdout —
 * {"ok": false, "error": {code, exitCode, message, file?, field?, errno?}} —
 * with the same exit code and the same human line on stderr as without it.
 * Nothing here touches the host's network: ra reads links only, doctor and
 * apply run on temporary roots, install/uninstall on --root.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBinary, v6agent } from '../bin.js';
import { copyDrive, editJson } from '../drives.js';
import { makeRoot, tempPerTest } from '../helpers.js';

const temp = tempPerTest();
beforeAll(requireBinary);

/** Run, and require stdout to be one JSON error object whose exit code is the process's. */
function failsAsJson(args: string[], exitCode: number, code: string): { error: Record<string, unknown>; stderr: string; json: Record<string, unknown> } {
  const r = v6agent(args);
  expect(r.status, r.stderr).toBe(exitCode);
  const json = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(json).toMatchObject({ ok: false, error: { code, exitCode } });
  const error = json.error as Record<string, unknown>;
  expect(typeof error.message).toBe('string');
  // The human line on stderr is unchanged by --json.
  expect(r.stderr).toContain(error.message);
  return { error, stderr: r.stderr, json };
}

const slaac = (): string[] => ['--config-drive', 'test/golden/dual-slaac/drive', '--distro', 'debian', '--stack', 'eni'];

describe('--json errors: apply', () => {
  it('an unknown option (commander) is a usage error object, exit 2', () => {
    const { error } = failsAsJson(['apply', '--json', '--frobnicate'], 2, 'usage');
    expect(error.message).toBe("unknown option '--frobnicate'");
  });

  it('a bad choice (commander), with --json given after it, is a usage error object, exit 2', () => {
    const { error } = failsAsJson(['apply', '--distro', 'arch', '--json'], 2, 'usage');
    expect(error.message).toMatch(/argument 'arch' is invalid/);
  });

  it('a bad value checked by v6agent (--probe-timeout 0) is a usage error object, exit 2', () => {
    failsAsJson(['apply', '--json', '--probe-timeout', '0'], 2, 'usage');
  });

  it('bad drive input is a bad-input object naming the file and the field, exit 3, nothing written', () => {
    const drive = temp(copyDrive('dual-slaac'));
    editJson(drive, 'network_data.json', (n) => (n.links[0].mtu = 99));
    const root = temp(makeRoot());
    const { error } = failsAsJson(['apply', '--json', '--config-drive', drive, '--root', root, '--distro', 'debian', '--stack', 'eni'], 3, 'bad-input');
    expect(error.file).toBe(join(drive, 'openstack/latest/network_data.json'));
    expect(error.field).toBe('links[0].mtu');
    expect(readdirSync(join(root, 'etc'))).toEqual(['passwd']);
  });

  it('a missing --config-drive is a bad-input object naming it, exit 3', () => {
    const { error } = failsAsJson(['apply', '--json', '--config-drive', '/nonexistent', '--root', temp(makeRoot()), '--distro', 'debian', '--stack', 'eni'], 3, 'bad-input');
    expect(error.file).toBe('/nonexistent');
  });

  it('an OS refusal is an os-refusal object with its errno, exit 1', () => {
    const root = temp(makeRoot());
    mkdirSync(join(root, 'etc/network'));
    writeFileSync(join(root, 'etc/network/interfaces.d'), 'a file where a directory must be\n');
    const { error } = failsAsJson(['apply', '--json', ...slaac(), '--root', root], 1, 'os-refusal');
    expect(error.errno).toBe('ENOTDIR');
    expect(error.message).toMatch(/interfaces\.d\/50-v6agent: ENOTDIR .*nothing written/);
  });

  it('without --json, stdout stays empty and stderr has the one human line', () => {
    const r = v6agent(['apply', '--config-drive', '/nonexistent', '--root', temp(makeRoot()), '--distro', 'debian', '--stack', 'eni']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('v6agent: --config-drive /nonexistent: not a directory\n');
  });

  it('--help with --json prints help, not an error object, exit 0', () => {
    const r = v6agent(['apply', '--json', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: v6agent apply/);
  });

  it('--json after -- is an argument, not a request for JSON', () => {
    const r = v6agent(['apply', '--frobnicate', '--', '--json']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('--json errors: doctor', () => {
  it('interfaces with --root are a usage error object, exit 2', () => {
    const { error } = failsAsJson(['doctor', 'eth0', '--root', temp(makeRoot()), '--json'], 2, 'usage');
    expect(error.message).toBe('--root checks files only: name no interfaces');
  });

  it('--format json asks for JSON errors too', () => {
    failsAsJson(['doctor', '--format', 'json', '--root', '/nonexistent'], 2, 'usage');
    failsAsJson(['doctor', '--format=json', '--probe-timeout', 'x'], 2, 'usage');
  });

  it('an unknown option (commander) is a usage error object, exit 2', () => {
    failsAsJson(['doctor', '--json', '--frobnicate'], 2, 'usage');
  });
});

describe('--json errors: ra', () => {
  it('a malformed interface name is a usage error object, exit 2', () => {
    const { error } = failsAsJson(['ra', '--json', 'bad name'], 2, 'usage');
    expect(error.message).toBe('"bad name" is not an interface name');
  });

  it('an interface that does not exist is a bad-input error object, exit 3', () => {
    failsAsJson(['ra', 'nosuchif9', '--json'], 3, 'bad-input');
  });

  it('a bad --timeout is a usage error object, exit 2', () => {
    failsAsJson(['ra', '--json', '--timeout', '-1'], 2, 'usage');
  });
});

describe('--json errors: metadata', () => {
  it('a bad --source (commander) is a usage error object, exit 2', () => {
    failsAsJson(['metadata', '--json', '--source', 'carrier-pigeon'], 2, 'usage');
  });

  it('a missing --config-drive is a bad-input object, exit 3', () => {
    const { error } = failsAsJson(['metadata', '--json', '--source', 'drive', '--config-drive', '/nonexistent'], 3, 'bad-input');
    expect(error.file).toBe('/nonexistent');
  });

  it('a bad drive is a bad-input object naming the file and field, exit 3', () => {
    const drive = temp(copyDrive('dual-slaac'));
    editJson(drive, 'network_data.json', (n) => (n.links[0].mtu = 99));
    const { error } = failsAsJson(['metadata', '--json', '--source', 'drive', '--config-drive', drive], 3, 'bad-input');
    expect(error.field).toBe('links[0].mtu');
  });
});

describe('--json errors: install and uninstall', () => {
  it('install into a missing root is a usage error object, exit 2', () => {
    const { error } = failsAsJson(['install', '--json', '--root', '/nonexistent'], 2, 'usage');
    expect(error.message).toBe('--root /nonexistent: not a directory');
  });

  it('an OS refusal (a file where /usr must be a directory) is an os-refusal object with its errno, exit 1', () => {
    const root = temp(makeRoot());
    writeFileSync(join(root, 'usr'), 'a file where a directory must be\n');
    const { error } = failsAsJson(['install', '--json', '--root', root], 1, 'os-refusal');
    expect(error.errno).toBe('ENOTDIR');
  });

  it('uninstall with an extra argument (commander) is a usage error object, exit 2', () => {
    failsAsJson(['uninstall', '--root', temp(makeRoot()), 'extra', '--json'], 2, 'usage');
  });

  it('uninstall from a missing root is a usage error object, exit 2', () => {
    failsAsJson(['uninstall', '--json', '--root', '/nonexistent'], 2, 'usage');
  });
});
