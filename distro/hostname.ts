/** /etc/hostname (the short name, hostname(5)) and /etc/hosts. */
import type { Instance } from '../agent/model/instance.js';
import type { Action, PlannedFile } from '../agent/plan/types.js';
import { render } from './template.js';
import hostsTemplate from '../templates/hosts.tmpl';

export function renderHostname(instance: Instance): { files: PlannedFile[]; actions: Action[] } {
  const { hostname, fqdn } = instance;
  if (!hostname) return { files: [], actions: [] };
  const files: PlannedFile[] = [{ path: '/etc/hostname', content: `${hostname}\n`, mode: 0o644 }];
  if (instance.manageEtcHosts) {
    const names = fqdn && fqdn !== hostname ? `${fqdn} ${hostname}` : hostname;
    files.push({ path: '/etc/hosts', content: render(hostsTemplate, { names }), mode: 0o644 });
  }
  return { files, actions: [{ kind: 'set-hostname', hostname }] };
}
