import { mkdirSync } from 'node:fs';
import { open as openFile, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ActionSink, HubAction } from './hub-action';

/** Embedded mode's actions log: append-only NDJSON, fsynced per publish, appends serialized. */
export function createFileActionSink(path: string): ActionSink {
  mkdirSync(dirname(path), { recursive: true });
  let chain: Promise<void> = Promise.resolve();
  return {
    publish(actions) {
      if (actions.length === 0) return chain;
      const text = `${actions.map((a) => JSON.stringify(a)).join('\n')}\n`;
      const done = chain.then(async () => {
        const fh = await openFile(path, 'a');
        try {
          await fh.appendFile(text);
          await fh.sync();
        } finally {
          await fh.close();
        }
      });
      chain = done.catch(() => undefined);
      return done;
    },
    close: () => chain,
  };
}

export async function readActionLog(path: string): Promise<HubAction[]> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as HubAction);
}
