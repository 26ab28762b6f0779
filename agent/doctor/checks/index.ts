/** All checks, in report order. Pure: facts in, findings out. */
import type { Facts, Finding } from '../types.js';
import { addressChecks } from './addresses.js';
import { mtuChecks, raChecks, routeChecks } from './routing.js';
import { ifcfgChecks, ifupdownChecks, netplanChecks, networkdChecks, networkManagerChecks } from './stackFiles.js';
import { sysctlFileChecks } from './sysctlFiles.js';
import { sysctlChecks } from './sysctls.js';
import { dnsChecks, dockerChecks, metadataChecks, metadataServiceChecks } from './system.js';

export function runChecks(facts: Facts): Finding[] {
  const out: Finding[] = [];
  for (const i of facts.live?.interfaces ?? []) {
    out.push(...sysctlChecks(facts, i));
    if (i.conf.disable_ipv6 === '1') continue; // everything below follows from it
    out.push(...addressChecks(facts, i), ...raChecks(facts, i), ...routeChecks(facts, i), ...mtuChecks(facts, i));
  }
  out.push(...dnsChecks(facts), ...metadataChecks(facts), ...metadataServiceChecks(facts));
  out.push(...sysctlFileChecks(facts.files), ...networkManagerChecks(facts.files), ...netplanChecks(facts.files), ...networkdChecks(facts.files), ...ifcfgChecks(facts.files), ...ifupdownChecks(facts.files));
  out.push(...dockerChecks(facts));
  return out;
}
