import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage, ToolCall } from '../../gateway/types.js';
import { PendingExchanges } from './pending.js';

const call = (id: string, name: string): ToolCall => ({ id, type: 'function', function: { name, arguments: '{}' } });
const result = (id: string, content: string): ChatMessage => ({ role: 'tool', tool_call_id: id, content });

function history(clientIds: string[]): ChatMessage[] {
  return [
    { role: 'user', content: 'q' },
    { role: 'assistant', content: null, tool_calls: clientIds.map((id) => call(id, 'client_tool')) },
    ...clientIds.map((id) => result(id, `client ${id}`)),
  ];
}

test('restores the server calls into the assistant turn and their results after it; inputs untouched; idempotent', () => {
  const p = new PendingExchanges();
  p.save([call('c1', 'client_tool')], [call('s1', 'run_code')], [result('s1', 'result: 2')]);
  const msgs = history(['c1']);
  const before = JSON.stringify(msgs);
  const out = p.restore(msgs);
  assert.equal(JSON.stringify(msgs), before);
  assert.deepEqual(out[1].tool_calls!.map((c) => c.id), ['s1', 'c1']);
  assert.deepEqual(out.slice(2).map((m) => m.tool_call_id), ['s1', 'c1']);
  // a conversation that already has the server part is left as it is
  assert.deepEqual(p.restore(out), out);
});

test('entries expire after the TTL and the oldest go past the capacity', () => {
  let now = 0;
  const p = new PendingExchanges(1000, 2, () => now);
  p.save([call('a', 'x')], [call('sa', 'y')], [result('sa', '1')]);
  now = 1001;
  assert.equal(p.restore(history(['a'])).length, 3, 'expired: nothing restored');
  p.save([call('b', 'x')], [call('sb', 'y')], [result('sb', '1')]);
  p.save([call('c', 'x')], [call('sc', 'y')], [result('sc', '1')]);
  p.save([call('d', 'x')], [call('sd', 'y')], [result('sd', '1')]);
  assert.ok(p.size <= 2);
  assert.equal(p.restore(history(['b'])).length, 3, 'evicted');
  assert.equal(p.restore(history(['d'])).length, 4, 'kept');
});
