import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes used by the files under a directory (LMDB files count at their allocated size). */
export function diskUsageBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += diskUsageBytes(path);
    else if (entry.isFile()) total += statSync(path).blocks * 512;
  }
  return total;
}
