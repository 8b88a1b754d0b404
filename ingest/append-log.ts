/**
 * An append-only NDJSON file: the embedded hub's action log, dead letters and audit logs.
 * Appends are serialized (lines never interleave) and fsynced before they resolve unless
 * the caller says the entry may ride on the next sync; a failed append fails its caller only.
 */
import { mkdirSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSerialQueue } from './serial-queue';

export interface AppendLog {
  /** Appends the entries as JSON lines; durable (fsynced) when it resolves unless `sync` is false. */
  append(entries: readonly unknown[], options?: { readonly sync?: boolean }): Promise<void>;
  /** Waits for pending appends. */
  close(): Promise<void>;
}

export function createAppendLog(path: string): AppendLog {
  mkdirSync(dirname(path), { recursive: true });
  const queue = createSerialQueue();
  return {
    append(entries, options = {}) {
      if (entries.length === 0) return queue.idle();
      const text = `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;
      return queue.run(async () => {
        const fh = await open(path, 'a');
        try {
          await fh.appendFile(text, 'utf8');
          if (options.sync !== false) await fh.sync();
        } finally {
          await fh.close();
        }
      });
    },
    close: () => queue.idle(),
  };
}

/** Every line of the log (none when the file does not exist yet). */
export async function readAppendLog<T>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
