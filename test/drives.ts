/** Building config drives in temp dirs for tests that need a variation of a golden drive. */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LATEST = 'openstack/latest';

/** A copy of test/golden/<name>/drive that the test may change. */
export function copyDrive(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'v6agent-drive-'));
  cpSync(join('test/golden', name, 'drive'), dir, { recursive: true });
  return dir;
}

export function editJson(drive: string, file: string, edit: (json: any) => void): void {
  const path = join(drive, LATEST, file);
  const json = JSON.parse(readFileSync(path, 'utf8'));
  edit(json);
  writeFileSync(path, JSON.stringify(json));
}

export function writeDriveFile(drive: string, file: string, content: string | Buffer): void {
  writeFileSync(join(drive, LATEST, file), content);
}
