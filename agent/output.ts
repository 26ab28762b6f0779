/**
 * Printing without process.stdout/stderr: building those stream objects costs
 * ~7 ms at start-up, more than anything else we print needs. A reader that
 * closes the pipe early (`v6agent … | head`) ends us quietly.
 */
import { writeSync } from 'node:fs';

function write(fd: number, text: string): void {
  let buf = Buffer.from(text);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // a non-blocking pipe that is full: try again
      if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    }
  }
}

export const out = (text: string): void => write(1, text);
export const err = (text: string): void => write(2, text);
