/** Process entry point: the binary and `node dist/v6agent.cjs` both run this. */
import { main } from './cli.js';
import { err } from './output.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    err(`v6agent: internal error: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
