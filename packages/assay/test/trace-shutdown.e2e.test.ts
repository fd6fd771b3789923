/** A failing trace recorder close does not skip the rest of shutdown (issue 14): the store is still closed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAssay } from './helpers/assay.js';

test('recorder.close() failing: close() still resolves and closes everything after it, down to the store', async () => {
  const assay = await startAssay({});
  let closedRecorder = false;
  assay.deps.recorder.close = async () => {
    closedRecorder = true;
    throw new Error('the disk went away');
  };
  await assay.stop();
  assert.equal(closedRecorder, true);
  await assert.rejects(assay.deps.store.db.kysely.selectFrom('api_keys').select('id').execute(), 'the store was closed after the failed step');
  await assert.rejects(fetch(`${assay.url}/health`), 'the server no longer answers');
});
