/**
 * `dist/v6agent doctor` on guests whose IPv6 is run by a daemon in user space:
 * systemd-networkd (test/lab/networkd.ts) and NetworkManager
 * (test/lab/networkmanager.ts), each configured by `v6agent apply --stack …`
 * with its sysctl drop-in loaded first, as systemd-sysctl does at boot. A
 * healthy guest is all-ok in every mode; a profile that asks for privacy or
 * stable-privacy addresses is reported as exactly that finding.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { eui64Address } from '../../agent/model/addr.js';
import { BIN } from '../bin.js';
import { Lab, PREFIX, type LabMode } from './lab.js';
import { STATEFUL_ADDRESS, STATIC_ADDRESS, writeLabDrive } from './drive.js';
import { addresses, waitFor, type GuestAddress } from './guest.js';
import { configured, startNetworkd } from './networkd.js';
import { NmGuest, seedNmImage } from './networkmanager.js';
import { doctor, problems, type DoctorGuest } from './doctor-run.js';
import { labGate } from './requirements.js';

const gate = labGate();
const MODES: LabMode[] = ['slaac', 'dhcpv6-stateless', 'dhcpv6-stateful', 'static'];
type Stack = 'networkd' | 'networkmanager';
let serial = 0;

/** The network's MTU (a VXLAN network's), in the router's RAs and, as Nova writes it, in the drive. */
const NETWORK_MTU = 1450;

interface GuestOptions {
  /** Change v6agent's rendered files under the guest root before the daemon starts. */
  readonly edit?: (root: string) => void;
  /** Leave the MTU out of the drive (the RA still carries it). */
  readonly driveMtu?: false;
  /**
   * The router announces fe80::a9fe:a9fe/128 (Neutron's L3 agent does on router-attached networks).
   * Default: yes, but not on a static subnet, whose networkd and NetworkManager profiles take no RAs.
   */
  readonly metadataRoute?: boolean;
  /** When the guest is ready (default: the mode's address is there); DAD must also be done on every address. */
  readonly ready?: (a: GuestAddress[], mac: string) => boolean;
}

interface StackGuest extends DoctorGuest {
  /** NetworkManager, when that is the stack. */
  readonly nm?: NmGuest;
}

/**
 * A lab guest on a `mode` subnet (stateful: Neutron's fixed IP for the MAC), v6agent's files for `stack`
 * rendered into its root (`edit` may change them before the daemon starts), the sysctl drop-in loaded,
 * the daemon started; returns once the mode's address is there and no address is tentative.
 */
async function stackGuest(stack: Stack, mode: LabMode, { expect, onTestFinished }: TestContext, how: GuestOptions = {}): Promise<StackGuest> {
  const n = serial++;
  const mac = `fa:16:3e:5d:${stack === 'networkd' ? 'd0' : 'e0'}:${n.toString(16).padStart(2, '0')}`;
  const metadataRoute = how.metadataRoute ?? mode !== 'static';
  const lab = await Lab.create({ mode, ipv4: false, guestMac: mac, mtu: mode === 'static' ? undefined : NETWORK_MTU, metadataRoute, dhcp6FixedAddress: STATEFUL_ADDRESS });
  onTestFinished(() => lab.destroy());
  if (stack === 'networkmanager') seedNmImage(lab);
  const drive = writeLabDrive(join(lab.dir, 'drive'), { mode, ipv4: false, mac, mtu: how.driveMtu === false || mode === 'static' ? undefined : NETWORK_MTU });
  const render = spawnSync(BIN, ['apply', '--config-drive', drive, '--root', lab.guestRoot, '--distro', stack === 'networkd' ? 'debian' : 'rhel', '--stack', stack, '--iface', `${mac}=eth0`], { encoding: 'utf8' });
  expect(render.status, render.stderr).toBe(0);
  how.edit?.(lab.guestRoot);
  await lab.inGuest(['sysctl', '-q', '-p', '/etc/sysctl.d/60-v6agent-eth0.conf']);
  let nm: NmGuest | undefined;
  if (stack === 'networkd') {
    const etcNetwork = join(lab.guestRoot, 'etc/systemd/network');
    mkdirSync(etcNetwork, { recursive: true });
    // With a system bus, as on a booted system: doctor --fix runs networkctl.
    const nd = await startNetworkd(lab, { etcNetwork, bus: true });
    onTestFinished(() => nd.stop());
    await configured(nd);
  } else {
    nm = await NmGuest.start(lab);
    await nm.connected();
  }
  const want = { slaac: eui64Address(PREFIX, mac), 'dhcpv6-stateless': eui64Address(PREFIX, mac), 'dhcpv6-stateful': STATEFUL_ADDRESS, static: STATIC_ADDRESS }[mode];
  const ready = how.ready ?? ((a: GuestAddress[]) => a.some((x) => x.local === want));
  await waitFor(`the guest ready (default: ${want}) and every address past DAD`, () => addresses(lab), (a) => ready(a, mac) && a.every((x) => !x.tentative), 20_000);
  return { lab, mac, drive, nm };
}

describe.runIf(gate.run).concurrent.each(['networkd', 'networkmanager'] as const)('v6agent doctor on a %s guest', (stack) => {
  it.for(MODES)(`a healthy %s guest configured by apply --stack ${stack} and the daemon is all-ok, exit 0`, async (mode, context) => {
    const { expect } = context;
    const g = await stackGuest(stack, mode, context);
    const r = await doctor(g);
    expect(problems(r), JSON.stringify(r.checks, null, 1)).toEqual([]);
    expect(r.code).toBe(0);
    // The stack's own profile was read and found right, not skipped.
    const profile = stack === 'networkd' ? ['networkd.privacy', 'networkd.address_generation'] : ['nm.addr_gen_mode', 'nm.ip6_privacy', 'nm.keyfile_mode'];
    expect(r.checks.map((c) => c.id)).toEqual(expect.arrayContaining([...profile, 'address.link_local', 'address.declared', 'route.default', 'ra.router']));
  });
});

describe.runIf(gate.run).concurrent('v6agent doctor on what the stacks leave undone', () => {
  it("networkd 252 does not apply the RA's MTU option: with no MTU in the drive, doctor names mtu.network and nothing else", async (context) => {
    const { expect } = context;
    const g = await stackGuest('networkd', 'slaac', context, { driveMtu: false });
    const r = await doctor(g);
    expect(problems(r)).toEqual(['fail mtu.network']);
    expect(r.checks.find((c) => c.id === 'mtu.network')).toMatchObject({ observed: 'eth0 mtu 1500, net.ipv6.conf.eth0.mtu = 1500', expected: `at most ${NETWORK_MTU} (the router's MTU option)` });
  });

  it.for(['networkd', 'networkmanager'] as const)('a static %s profile takes no RAs: where the router announces the metadata route, doctor names route.metadata and nothing else', async (stack, context) => {
    const { expect } = context;
    const g = await stackGuest(stack, 'static', context, { metadataRoute: true });
    const r = await doctor(g);
    expect(problems(r)).toEqual(['fail route.metadata']);
    expect(r.checks.find((c) => c.id === 'route.metadata')!.observed).toBe('the router announces fe80::a9fe:a9fe/128, but there is no route to it on eth0');
  });
});

/** Set `key=value` in the rendered file at `path` under the guest root (the key must be there). */
function setKey(root: string, path: string, key: string, value: string): void {
  const file = join(root, path);
  const text = readFileSync(file, 'utf8');
  const re = new RegExp(`^${key}=.*$`, 'm');
  if (!re.test(text)) throw new Error(`${path} has no ${key}=`);
  writeFileSync(file, text.replace(re, `${key}=${value}`));
}

const NM_PROFILE = 'etc/NetworkManager/system-connections/v6agent-eth0.nmconnection';
const NETWORKD_FILE = 'etc/systemd/network/10-v6agent-eth0.network';

/** A guest whose stack profile asks for stable-privacy (NetworkManager) or privacy extensions (networkd), up with the addresses that gives. */
async function misconfigured(stack: Stack, context: TestContext): Promise<StackGuest> {
  if (stack === 'networkmanager') {
    return stackGuest('networkmanager', 'slaac', context, {
      edit: (root) => setKey(root, NM_PROFILE, 'addr-gen-mode', 'stable-privacy'),
      // NetworkManager forms the stable-privacy address itself (no kernel flag): any SLAAC address but the EUI-64 one.
      ready: (a, mac) => a.some((x) => x.scope === 'global' && x.local !== eui64Address(PREFIX, mac)),
    });
  }
  return stackGuest('networkd', 'slaac', context, {
    edit: (root) => setKey(root, NETWORKD_FILE, 'IPv6PrivacyExtensions', 'yes'),
    ready: (a) => a.some((x) => x.temporary === true),
  });
}

describe.runIf(gate.run).concurrent('v6agent doctor on a stack profile that undoes EUI-64', () => {
  it('NetworkManager addr-gen-mode=stable-privacy: names the profile setting and the addresses it gave, nothing else', async (context) => {
    const { expect } = context;
    const g = await misconfigured('networkmanager', context);
    const r = await doctor(g);
    expect(problems(r), JSON.stringify(r.checks, null, 1)).toEqual(['fail address.declared', 'fail address.eui64', 'fail address.link_local', 'fail nm.addr_gen_mode']);
    expect(r.checks.find((c) => c.id === 'nm.addr_gen_mode')!.observed).toBe(`/${NM_PROFILE} [ipv6] addr-gen-mode=stable-privacy`);
    expect(r.code).toBe(1);
  });

  it('networkd IPv6PrivacyExtensions=yes: names the setting and the temporary addresses it gave, nothing else', async (context) => {
    const { expect } = context;
    const g = await misconfigured('networkd', context);
    const r = await doctor(g);
    expect(problems(r), JSON.stringify(r.checks, null, 1)).toEqual(['fail address.temporary', 'fail networkd.privacy', 'fail sysctl.use_tempaddr']);
    expect(r.checks.find((c) => c.id === 'networkd.privacy')!.observed).toBe(`/${NETWORKD_FILE} [Network] IPv6PrivacyExtensions=yes`);
  });
});

describe.runIf(gate.run).concurrent('v6agent doctor --fix on a stack profile, through the stack', () => {
  it('NetworkManager stable-privacy: --fix sets addr-gen-mode eui64 with nmcli and reapplies in place; EUI-64 addresses follow and a second doctor is clean', async (context) => {
    const { expect } = context;
    const g = await misconfigured('networkmanager', context);
    const fixed = await doctor(g, '--fix');
    const nm = fixed.fixed.find((f) => f.id === 'nm.addr_gen_mode')!;
    expect(nm).toMatchObject({ status: 'changed', before: 'fail', after: 'ok' });
    expect(nm.action).toMatch(/^nmcli connection modify uuid [0-9a-f-]{36} ipv6\.addr-gen-mode eui64; nmcli device reapply eth0$/);
    // NetworkManager wrote the setting into the keyfile itself, and kept the port activated throughout.
    expect(g.lab.guestFile(NM_PROFILE)).toMatch(/^addr-gen-mode=eui64$/m);
    expect(await g.nm!.device('GENERAL.STATE')).toEqual(['100 (connected)']);
    const eui64 = eui64Address(PREFIX, g.mac);
    await waitFor('EUI-64 link-local and SLAAC only', () => addresses(g.lab), (a) => a.some((x) => x.local === eui64 && !x.tentative) && a.filter((x) => x.scope === 'link').every((x) => x.local === eui64Address('fe80::', g.mac)), 20_000);
    const again = await doctor(g);
    expect(problems(again), JSON.stringify(again.checks, null, 1)).toEqual([]);
  });

  it('networkd IPv6PrivacyExtensions=yes: --fix writes a drop-in, networkctl reload + reconfigure apply it; the temporary addresses go and a second doctor is clean', async (context) => {
    const { expect } = context;
    const g = await misconfigured('networkd', context);
    const fixed = await doctor(g, '--fix');
    const dropin = `/${NETWORKD_FILE}.d/60-v6agent-doctor.conf`;
    expect(fixed.fixed.find((f) => f.id === 'networkd.privacy')).toMatchObject({ status: 'changed', before: 'fail', after: 'ok', action: `${dropin} created; networkctl reload; networkctl reconfigure eth0` });
    expect(g.lab.guestFile(dropin.slice(1))).toMatch(/^\[Network\]\nIPv6PrivacyExtensions=no\n$/m);
    // v6agent's own file is left as it was: the drop-in overrides it.
    expect(g.lab.guestFile(NETWORKD_FILE)).toMatch(/^IPv6PrivacyExtensions=yes$/m);
    await waitFor('no temporary address, the EUI-64 one back, DAD done', () => addresses(g.lab), (a) => !a.some((x) => x.temporary || x.tentative) && a.some((x) => x.local === eui64Address(PREFIX, g.mac)), 20_000);
    const again = await doctor(g);
    expect(problems(again), JSON.stringify(again.checks, null, 1)).toEqual([]);
    expect(again.checks.find((c) => c.id === 'networkd.privacy')!.observed).toBe(`${dropin} IPv6PrivacyExtensions=no`);
  });
});
