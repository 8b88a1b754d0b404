/**
 * One process per embedded data dir. LMDB itself would let a second process open
 * the files, but two hubs on one data dir would each run their own dedupe window,
 * live state and demo seeding over the same graph — so the second refuses to start
 * and names the holder. A lock left by a process that no longer runs (SIGKILL, a
 * crash) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../graph-schema';

export interface DataDirLock {
  release(): void;
}

interface Holder {
  readonly pid: number;
  readonly role: string;
  readonly since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else — still a holder.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataDir(dataDir: string, role: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'c360.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      const holder: Holder = { pid: process.pid, role, since: new Date().toISOString() };
      writeSync(fd, JSON.stringify(holder));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: Holder | null = null;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
      } catch {
        holder = null;
      }
      if (holder && alive(holder.pid)) {
        throw new ConfigError(
          'C360_DATA_DIR',
          `${dataDir} is in use by pid ${holder.pid} (c360 ${holder.role}, since ${holder.since}); stop that process or choose another --data-dir`,
        );
      }
      // Stale (its process is gone) or unreadable: take it over.
      rmSync(path, { force: true });
    }
  }
  throw new ConfigError('C360_DATA_DIR', `could not lock ${dataDir}: another process keeps taking the lock`);
}
