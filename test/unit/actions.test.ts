import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActionBus, createFileActionSink, type HubAction, readActionLog } from '../../features/actions';

const action = (id: string, subjectId = 'Customer:C1'): HubAction => ({
  id,
  type: 'segment.entered',
  subjectId,
  at: 1,
  payload: { segmentId: 's1' },
});

describe('actions', () => {
  it('are durable in the log before listeners hear of them, and filters apply', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c360-actions-'));
    try {
      const path = join(dir, 'actions.ndjson');
      const bus = createActionBus(createFileActionSink(path));
      const heard: { id: string; inLog: boolean }[] = [];
      const unsubscribe = bus.subscribe(
        (a) => {
          // Already on disk when the listener runs.
          heard.push({ id: a.id, inLog: readFileSync(path, 'utf8').includes(`"id":"${a.id}"`) });
        },
        (a) => a.subjectId === 'Customer:C1',
      );
      await bus.publish([action('a1'), action('a2', 'Customer:C2')]);
      unsubscribe();
      await bus.publish([action('a3')]);
      expect(heard).toEqual([{ id: 'a1', inLog: true }]);
      expect((await readActionLog(path)).map((a) => a.id)).toEqual(['a1', 'a2', 'a3']);
      await bus.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a listener that throws does not stop the others or the publish', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c360-actions-'));
    try {
      const errors: unknown[] = [];
      const bus = createActionBus(createFileActionSink(join(dir, 'a.ndjson')), (e) => errors.push(e));
      const heard: string[] = [];
      bus.subscribe(() => {
        throw new Error('listener bug');
      });
      bus.subscribe((a) => heard.push(a.id));
      await bus.publish([action('x')]);
      expect(heard).toEqual(['x']);
      expect(errors).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
