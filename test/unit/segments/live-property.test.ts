/** The live-membership property on the embedded store; test/integration runs it on Neo4j and Gremlin Server. */
import { join } from 'node:path';
import { createEmbeddedStore } from '../../../services/graph';
import { defineLiveSegmentsProperty } from '../../conformance/live-segments-property';
import { makeTempDir } from '../../helpers/unique';

defineLiveSegmentsProperty(
  'embedded',
  async () => {
    const dir = await makeTempDir('c360-live-prop-');
    const store = await createEmbeddedStore({ path: join(dir.path, 'graph') });
    return {
      store,
      async close() {
        await store.close();
        await dir.cleanup();
      },
    };
  },
  { numRuns: 40, timeoutMs: 120_000 },
);
