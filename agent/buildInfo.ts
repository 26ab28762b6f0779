/**
 * What `--version` says: the package version and the git commit the binary was
 * built from. build/bundle.mjs defines V6AGENT_COMMIT at bundle time; unbundled
 * (tests importing the sources) it is not defined, and says so.
 */
import { version } from '../package.json';

declare const V6AGENT_COMMIT: string | undefined;

export const commit: string = typeof V6AGENT_COMMIT === 'string' ? V6AGENT_COMMIT : 'unknown';

/** e.g. `0.1.0 (commit 629b406c…)`. */
export const versionLine = `${version} (commit ${commit})`;
