import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `lines` lines of a file, reading at most the final 256 KiB; '' when the file does not exist. */
export function tailOf(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 256 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const all = buffer.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}
