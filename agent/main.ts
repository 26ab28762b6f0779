/** Process entry point: the binary and `npm start` both run this. */
import { main } from './cli.js';

// `v6agent … | head` closes our stdout early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`v6agent: internal error: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
