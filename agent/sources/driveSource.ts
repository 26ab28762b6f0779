/** The config drive as a metadata source: open it, read its documents, let go of it. */
import { join } from 'node:path';
import type { SourceDocuments } from './documents.js';
import { openConfigDrive, readConfigDrive } from './configDrive.js';

export async function readDriveDocuments(given: string | undefined): Promise<SourceDocuments> {
  const handle = await openConfigDrive(given);
  try {
    const drive = readConfigDrive(handle.dir);
    return { origin: `config drive ${join(handle.dir, 'openstack', drive.version)}`, metaData: drive.metaData!, networkData: drive.networkData, userData: drive.userData, dropped: drive.dropped };
  } finally {
    handle.release();
  }
}

/** The message openConfigDrive gives when there is no drive at all (not a bad one). */
export function isNoDrive(e: unknown): boolean {
  return e instanceof Error && e.message.startsWith('no config drive found');
}
