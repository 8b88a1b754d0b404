import { createAppendLog, readAppendLog } from '../../ingest';
import type { ActionSink, HubAction } from './hub-action';

/** Embedded mode's actions log: append-only NDJSON, fsynced per publish, appends serialized. */
export function createFileActionSink(path: string): ActionSink {
  const log = createAppendLog(path);
  return {
    publish: (actions) => log.append(actions),
    close: () => log.close(),
  };
}

export function readActionLog(path: string): Promise<HubAction[]> {
  return readAppendLog<HubAction>(path);
}
