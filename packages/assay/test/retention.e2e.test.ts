/** Retention: observations and scores past governance.retention_days are deleted; newer ones stay. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAssay, type TestAssay } from './helpers/assay.js';
import { storeKinds, type TestStore } from './helpers/stores.js';
import { emptyObservation } from '../src/tracing/span.js';

const DAY = 86_400_000;

for (const kind of storeKinds) {
  describe(`retention (${kind.name})`, { skip: kind.skip }, () => {
    let store: TestStore;
    let assay: TestAssay;
    before(async () => {
      store = kind.make();
      assay = await startAssay({ governance: { retention_days: 7, retention_interval_ms: 3_600_000 } }, { databaseUrl: store.url });
    });
    after(async () => {
      await assay?.stop();
      await store?.cleanup();
    });

    test('deletes what is older than the retention period, day by day, and keeps the rest', async () => {
      await assay.retention!.runOnce(); // the run at startup
      const now = Date.now();
      const rows = [40, 10, 8, 6, 1].map((d) => emptyObservation({ trace_id: `t-${d}`, type: 'span', name: `${d} days old`, start_time: now - d * DAY }));
      await assay.deps.ingest.observations(rows);
      const score = (id: string, ts: number) => ({
        id, project_id: 'default', trace_id: 't-1', observation_id: null, session_id: null, name: 'q', data_type: 'NUMERIC' as const, value: 1,
        string_value: null, comment: null, source: 'api', author: null, config_id: null, environment: null, metadata: null, timestamp: ts, created_at: ts,
      });
      await assay.deps.ingest.scores([score('old', now - 9 * DAY), score('new', now - DAY)]);

      const r = await assay.retention!.runOnce(now);
      assert.deepEqual([r.observations, r.scores], [3, 1]);
      const list = (await (await assay.api('/api/traces?limit=50')).json()) as { data: { name: string }[] };
      assert.deepEqual(list.data.map((t) => t.name).sort(), ['1 days old', '6 days old']);
      const scores = (await (await assay.api('/api/scores?trace_id=t-1')).json()) as { data: { id: string }[] };
      assert.deepEqual(scores.data.map((s) => s.id), ['new']);
    });
  });
}
