/**
 * The networkd drop-in `doctor --fix` writes to override a .network file's
 * privacy or link-local address setting, without editing a file that is not
 * ours: `NAME.network.d/*.conf` in /etc/systemd/network applies to NAME.network
 * wherever it lives (/etc, /run — netplan's — or /usr/lib), later keys winning
 * (systemd.network(5), "drop-in" directories).
 */
import type { PlannedFile } from '../agent/plan/types.js';
import { render } from './template.js';
import template from '../templates/networkd-doctor.conf.tmpl';

export const NETWORKD_DOCTOR_DROPIN = '60-v6agent-doctor.conf';

/** `network`: the .network file's path; `settings`: [Network] keys and values. */
export function networkdDropin(network: string, settings: readonly (readonly [string, string])[]): PlannedFile {
  const base = network.slice(network.lastIndexOf('/') + 1);
  return {
    path: `/etc/systemd/network/${base}.d/${NETWORKD_DOCTOR_DROPIN}`,
    content: render(template, { network, settings: settings.map(([key, value]) => ({ key, value })) }),
    mode: 0o644,
  };
}
