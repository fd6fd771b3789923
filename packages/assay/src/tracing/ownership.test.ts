import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foreignScores, observationRefusal, scoreRefusal } from './ownership.js';

const ingest = { projectId: 'p', keyId: 'key_i' };

test('observations: a key changes only the rows it ingested; gateway rows and older rows of other keys are refused; admin may', () => {
  const row = (origin: 'gateway' | 'ingest' | null, key_id: string | null) => ({ id: 'o', trace_id: 't', origin, key_id });
  assert.equal(observationRefusal(row('ingest', 'key_i'), ingest), null);
  assert.equal(observationRefusal(row(null, 'key_i'), ingest), null, 'a row from before migration 014 that this key wrote');
  assert.match(observationRefusal(row('gateway', 'key_i'), ingest) ?? '', /written by the gateway/, 'even a gateway call the same key made');
  assert.match(observationRefusal(row('ingest', 'key_x'), ingest) ?? '', /written by another key/);
  assert.match(observationRefusal(row(null, 'key_m'), ingest) ?? '', /another key/);
  assert.equal(observationRefusal(row('gateway', 'key_m'), { ...ingest, admin: true }), null);
});

test("scores: human judgements and other keys' scores are refused; the key's own are not", async () => {
  assert.equal(scoreRefusal({ id: 's', source: 'langfuse', author: 'key_i' }, ingest), null);
  assert.match(scoreRefusal({ id: 's', source: 'annotation', author: 'key_i' }, ingest) ?? '', /human judgement \(annotation\)/);
  assert.match(scoreRefusal({ id: 's', source: 'end-user', author: 'key_f' }, ingest) ?? '', /human judgement/);
  assert.match(scoreRefusal({ id: 's', source: 'api', author: 'key_admin' }, ingest) ?? '', /another key/);
  const repo = { getMany: async () => [{ id: 'a', source: 'api', author: 'key_admin' }, { id: 'b', source: 'otel', author: 'key_i' }] as never };
  assert.deepEqual([...(await foreignScores(repo, ingest, [{ id: 'a' }, { id: 'b' }, { id: 'c' }])).keys()], ['a']);
  assert.equal((await foreignScores(repo, { ...ingest, admin: true }, [{ id: 'a' }])).size, 0);
});
