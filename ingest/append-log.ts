/**
 * An append-only NDJSON file: the embedded hub's action log, dead letters and audit logs.
 * Appends never interleave and are fsynced before they resolve unless the caller says the
 * entry may ride on the next sync.
 *
 * Group commit: appends that arrive while a write is under way are written together by the
 * next one (one write, at most one fsync), and the file stays open between writes. An audit
 * entry per 360° view used to cost an open, a write and a close of its own on the request path.
 * A failed write fails the appends written with it, and the file is reopened for the next.
 */
import { mkdirSync } from 'node:fs';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AppendLog {
  /** Appends the entries as JSON lines; durable (fsynced) when it resolves unless `sync` is false. */
  append(entries: readonly unknown[], options?: { readonly sync?: boolean }): Promise<void>;
  /** Waits for pending appends and closes the file (the next append opens it again). */
  close(): Promise<void>;
}

interface Group {
  readonly texts: string[];
  sync: boolean;
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function newGroup(): Group {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { texts: [], sync: false, done, resolve, reject };
}

export function createAppendLog(path: string): AppendLog {
  mkdirSync(dirname(path), { recursive: true });
  let file: FileHandle | null = null;
  /** The group still taking appends; it is written after `writing`. */
  let open_: Group | null = null;
  let writing: Promise<void> = Promise.resolve();

  async function write(group: Group): Promise<void> {
    if (open_ === group) open_ = null;
    try {
      file ??= await open(path, 'a');
      await file.appendFile(group.texts.join(''), 'utf8');
      if (group.sync) await file.sync();
      group.resolve();
    } catch (error) {
      group.reject(error);
      const broken = file;
      file = null;
      await broken?.close().catch(() => undefined);
    }
  }

  return {
    append(entries, options = {}) {
      if (entries.length === 0) return writing;
      const text = `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;
      let group = open_;
      if (!group) {
        const fresh = newGroup();
        group = fresh;
        open_ = fresh;
        writing = writing.then(() => write(fresh));
      }
      group.texts.push(text);
      if (options.sync !== false) group.sync = true;
      return group.done;
    },
    async close() {
      await writing;
      const closing = file;
      file = null;
      await closing?.close();
    },
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
