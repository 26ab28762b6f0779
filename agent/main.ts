/** Process entry point: the binary and `node dist/v6agent.cjs` both run this. */
import { main } from './cli.js';
import { err } from './output.js';

// Exit as soon as the command is done: every step is awaited and all output is
// written synchronously, so nothing is lost, and a stray timer or socket (a
// poll, a request the drive made moot) cannot keep v6agent.service — and with
// it network-pre.target and the network manager — waiting at boot.
main(process.argv).then(
  (code) => process.exit(code),
  (e: unknown) => {
    err(`v6agent: internal error: ${String(e)}\n`);
    process.exit(1);
  },
);
