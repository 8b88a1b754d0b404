import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedStore } from '../../../services/graph';
import { defineIdentitySuite } from '../../conformance/identity-suite';

defineIdentitySuite('embedded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'c360-identity-suite-'));
  return {
    store: await createEmbeddedStore({ path: dir }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
