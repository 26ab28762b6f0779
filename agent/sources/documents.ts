/**
 * The raw documents every metadata source returns, not yet interpreted: the
 * config drive, the metadata service over IPv6 and over IPv4 all answer with
 * these, and one parser (load.ts) turns them into the model.
 */
import type { FileBytes, FileText } from './configDrive.js';

export interface SourceDocuments {
  /** Where they came from, for reports: a drive directory or a URL. */
  readonly origin: string;
  /** `path` of each is the file or the URL, so errors name it. */
  readonly metaData: FileText;
  /** Absent, or the service's `{}`: no network metadata. */
  readonly networkData: FileText | undefined;
  /** Absent: the instance has none (the service says 404). */
  readonly userData: FileBytes | undefined;
  /** What the source dropped on the way (e.g. user data over nova's limit), reported as warnings. */
  readonly dropped?: readonly { readonly where: string; readonly message: string }[];
}

// nova caps user_data at 65535 base64 characters (about 48 KiB decoded); the
// JSON files are a few KiB. A service answer beyond these is refused.
export const SERVICE_LIMITS = { json: 1024 * 1024, userData: 64 * 1024 } as const;
