import { rm } from 'node:fs/promises';
import { createEmbeddedSegmentEvaluator } from '../../../features/segments';
import { createEmbeddedStore } from '../../../services/graph/embedded';
import { defineSegmentSuite } from '../../conformance/segment-suite';
import { makeTempDir } from '../../helpers/unique';

const embeddedStore = async () => {
  const dir = await makeTempDir('c360-segments-');
  const store = await createEmbeddedStore({ path: dir.path });
  return { store, cleanup: () => rm(dir.path, { recursive: true, force: true }) };
};

defineSegmentSuite(
  'embedded evaluator over the embedded store',
  embeddedStore,
  // Small pages so that the suite also exercises paging of customers and neighbours.
  (store) => createEmbeddedSegmentEvaluator({ store, pageSize: 2, neighborPageSize: 1 }),
);

// What remote stores get (they keep no behaviour index): every item read and its products visited.
defineSegmentSuite('embedded evaluator over the embedded store, without its behaviour index', embeddedStore, (store) =>
  createEmbeddedSegmentEvaluator({ store, pageSize: 2, neighborPageSize: 1, behaviourIndex: false }),
);
