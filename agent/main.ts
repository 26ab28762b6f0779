/** Process entry point: the binary and `npm start` both run this. */
import { main } from './cli.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`v6agent: internal error: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
