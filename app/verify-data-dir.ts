/**
 * Startup check of the LMDB environments in a data dir (graph, dedupe window, live state)
 * before anything maps them. LMDB maps its file into memory and trusts it: a file cut short
 * (a failed copy, a full disk during a restore) made the hub die of SIGBUS with no message,
 * and a zero-length graph file opened as a new, empty graph while the dedupe window still
 * remembered every event — so replaying the events could not rebuild it. Refusing such a
 * directory with a message that says what to do is the only safe answer.
 *
 * The check reads the two meta pages (LMDB keeps the last two committed roots) and requires
 * the file to be as long as the newest valid one says. It is structural: a flipped byte in
 * the middle of a page is not found here (reads that fail later make the hub not ready).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../graph-schema';

const MAGIC = 0xbeefc0de;

export interface LmdbFileProblem {
  readonly file: string;
  readonly problem: string;
}

/**
 * What is wrong with `<dir>/data.mdb`, or null when it is absent (a new environment) or
 * sound. The meta layout is found by its magic number: LMDB 0.9 puts it after a 16-byte
 * page header, the LMDB lmdb-js bundles after a 24-byte one.
 */
export function checkLmdbFile(dir: string): LmdbFileProblem | null {
  const file = join(dir, 'data.mdb');
  if (!existsSync(file)) return null;
  const size = statSync(file).size;
  if (size === 0) return { file, problem: 'the file is empty (0 bytes)' };
  const head = Buffer.alloc(Math.min(size, 64 * 1024));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const metas: { readonly pageSize: number; readonly lastPage: bigint; readonly txnId: bigint }[] = [];
  for (const headerBytes of [16, 24]) {
    if (head.length < headerBytes + 144 || head.readUInt32LE(headerBytes) !== MAGIC) continue;
    const pageSize = head.readUInt32LE(headerBytes + 24);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) continue;
    for (const page of [0, 1]) {
      const m = page * pageSize + headerBytes;
      if (m + 136 > head.length || head.readUInt32LE(m) !== MAGIC) continue;
      metas.push({ pageSize, lastPage: head.readBigUInt64LE(m + 120), txnId: head.readBigUInt64LE(m + 128) });
    }
    break;
  }
  if (metas.length === 0) return { file, problem: `no LMDB meta page found in its first ${head.length} bytes` };
  const newest = metas.reduce((a, b) => (b.txnId > a.txnId ? b : a));
  const needed = (newest.lastPage + 1n) * BigInt(newest.pageSize);
  if (BigInt(size) < needed) {
    return { file, problem: `the file is ${size} bytes but its last commit uses ${needed}: it was cut short` };
  }
  return null;
}

/**
 * Refuses a data dir whose stores cannot be opened safely, naming the file and what to do.
 * `embeddedGraph`: the graph lives in `<dataDir>/graph` (C360_GRAPH=embedded).
 */
export function verifyDataDir(dataDir: string, embeddedGraph: boolean): void {
  const parts = [...(embeddedGraph ? ['graph'] : []), 'dedupe', 'derived-state'];
  for (const part of parts) {
    const found = checkLmdbFile(join(dataDir, part));
    if (found) {
      throw new ConfigError(
        'C360_DATA_DIR',
        `${found.file} is damaged (${found.problem}); c360 will not open it. Restore it from a backup, or re-derive the graph from your event files with \`c360 rebuild --data-dir ${dataDir} --segment <files…>\` (it moves the damaged stores aside first).`,
      );
    }
  }
  // A graph that is gone while the dedupe window remembers events cannot be rebuilt by sending
  // the events again (they would be skipped as duplicates): say so instead of starting empty.
  if (
    embeddedGraph &&
    !existsSync(join(dataDir, 'graph', 'data.mdb')) &&
    existsSync(join(dataDir, 'dedupe', 'data.mdb'))
  ) {
    throw new ConfigError(
      'C360_DATA_DIR',
      `${join(dataDir, 'graph')} is missing but ${join(dataDir, 'dedupe')} remembers events already applied: the graph was lost. Re-derive it with \`c360 rebuild --data-dir ${dataDir} --segment <files…>\`, or move the whole data dir aside to start empty.`,
    );
  }
}
