import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exportRows } from './export.js';
import { blue, cold, comp, green, pref, warm, weather } from './test-fixtures.js';
import type { ExportFormat, ExportOptions, ExportRecord } from './types.js';

/** The single line a single record produces (fails loudly when it was rejected). */
function lineOf(format: ExportFormat, record: ExportRecord, options: ExportOptions = {}): string {
  const r = exportRows(format, [record], options);
  assert.deepEqual(r.rejected, []);
  assert.equal(r.rows.length, 1);
  return r.rows[0].line;
}

function reasonOf(format: ExportFormat, record: ExportRecord, options: ExportOptions = {}): string {
  const r = exportRows(format, [record], options);
  assert.equal(r.rows.length, 0);
  assert.equal(r.rejected.length, 1);
  return r.rejected[0].reason;
}

const TRL_WEATHER_PROMPT =
  '[{"role":"system","content":"Be terse."},{"role":"user","content":"Weather in Paris?"},' +
  '{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},' +
  '{"role":"tool","name":"get_weather","content":"18C"}]';
const TOOLS = '[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]';
const OA_WEATHER_PROMPT =
  '[{"role":"system","content":"Be terse."},{"role":"user","content":"Weather in Paris?"},' +
  '{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},' +
  '{"role":"tool","tool_call_id":"call_1","content":"18C"}]';

describe('TRL preference (explicit prompt)', () => {
  test('standard: prompt, chosen and rejected are texts; margin optional', () => {
    assert.equal(lineOf('trl-preference', pref('p1'), { style: 'standard' }), '{"prompt":"What color is the sky?","chosen":"It is blue.","rejected":"It is green."}');
    assert.equal(
      lineOf('trl-preference', pref('p1', { margin: 2 }), { style: 'standard' }),
      '{"prompt":"What color is the sky?","chosen":"It is blue.","rejected":"It is green.","margin":2}',
    );
  });
  test('conversational (the default): message lists, one assistant message per answer', () => {
    assert.equal(
      lineOf('trl-preference', pref('p1')),
      '{"prompt":[{"role":"user","content":"What color is the sky?"}],"chosen":[{"role":"assistant","content":"It is blue."}],"rejected":[{"role":"assistant","content":"It is green."}]}',
    );
  });
  test('conversational with tools: arguments as an object, tool results named, tools column', () => {
    assert.equal(
      lineOf('trl-preference', pref('p1', { prompt: weather, chosen: warm, rejected: cold, margin: 0.5 })),
      `{"prompt":${TRL_WEATHER_PROMPT},"chosen":[{"role":"assistant","content":"18 °C."}],"rejected":[{"role":"assistant","content":"It is cold."}],"margin":0.5,"tools":${TOOLS}}`,
    );
  });
  test('standard style refuses a multi-turn prompt, suggesting the conversational style', () => {
    const reason = reasonOf('trl-preference', pref('p1', { prompt: weather, chosen: warm, rejected: cold }), { style: 'standard' });
    assert.match(reason, /exactly one user message; this one has 4 \(system, user, assistant, tool\): use style 'conversational'/);
  });
  test('standard style refuses an answer that calls tools', () => {
    const call = { role: 'assistant' as const, content: null, tool_calls: [{ id: 'c', type: 'function' as const, function: { name: 'f', arguments: '{}' } }] };
    assert.match(reasonOf('trl-preference', pref('p1', { chosen: call }), { style: 'standard' }), /chosen calls tools.*conversational/);
  });
});

describe('TRL preference (implicit prompt)', () => {
  test('standard: prompt + answer texts (separator optional)', () => {
    assert.equal(lineOf('trl-preference-implicit', pref('p1'), { style: 'standard' }), '{"chosen":"What color is the sky?It is blue.","rejected":"What color is the sky?It is green."}');
    assert.equal(
      lineOf('trl-preference-implicit', pref('p1', { margin: 1 }), { style: 'standard', separator: '\n' }),
      '{"chosen":"What color is the sky?\\nIt is blue.","rejected":"What color is the sky?\\nIt is green.","margin":1}',
    );
  });
  test('conversational: each side holds the whole conversation, user turn included', () => {
    assert.equal(
      lineOf('trl-preference-implicit', pref('p1')),
      '{"chosen":[{"role":"user","content":"What color is the sky?"},{"role":"assistant","content":"It is blue."}],' +
        '"rejected":[{"role":"user","content":"What color is the sky?"},{"role":"assistant","content":"It is green."}]}',
    );
  });
});

describe('TRL unpaired (KTO / BCO)', () => {
  test('standard and conversational: prompt, completion, label', () => {
    assert.equal(lineOf('trl-unpaired', comp('c1', { completion: green, label: false }), { style: 'standard' }), '{"prompt":"What color is the sky?","completion":"It is green.","label":false}');
    assert.equal(
      lineOf('trl-unpaired', comp('c1')),
      '{"prompt":[{"role":"user","content":"What color is the sky?"}],"completion":[{"role":"assistant","content":"It is blue."}],"label":true}',
    );
  });
  test('a record without a label is rejected', () => {
    assert.match(reasonOf('trl-unpaired', comp('c1', { label: undefined })), /needs a boolean label/);
  });
});

describe('TRL prompt-completion (SFT)', () => {
  test('standard and conversational', () => {
    assert.equal(lineOf('trl-prompt-completion', comp('c1'), { style: 'standard' }), '{"prompt":"What color is the sky?","completion":"It is blue."}');
    assert.equal(
      lineOf('trl-prompt-completion', comp('c1')),
      '{"prompt":[{"role":"user","content":"What color is the sky?"}],"completion":[{"role":"assistant","content":"It is blue."}]}',
    );
  });
  test('conversational with tools, and an answer that calls a tool', () => {
    const call = { role: 'assistant' as const, content: '', tool_calls: [{ id: 'call_2', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } }] };
    assert.equal(
      lineOf('trl-prompt-completion', comp('c1', { prompt: weather, completion: call })),
      `{"prompt":${TRL_WEATHER_PROMPT},"completion":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"get_weather","arguments":{"city":"Lyon"}}}]}],"tools":${TOOLS}}`,
    );
  });
  test('an undesirable completion (label false) is not an SFT example', () => {
    assert.match(reasonOf('trl-prompt-completion', comp('c1', { label: false })), /label is false/);
  });
});

describe('OpenAI SFT', () => {
  test('the reference example, byte for byte: string arguments, content null, weight on the answer', () => {
    assert.equal(
      lineOf('openai-sft', comp('c1', { prompt: weather, completion: warm, weight: 1 })),
      String.raw`{"messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"Weather in Paris?"},` +
        String.raw`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
        String.raw`{"role":"tool","tool_call_id":"call_1","content":"18C"},{"role":"assistant","content":"18 °C.","weight":1}],` +
        String.raw`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"parallel_tool_calls":false}`,
    );
  });
  test('without tools or weight; developer is written as system', () => {
    const prompt = { messages: [{ role: 'developer' as const, content: 'Be kind.' }, { role: 'user' as const, content: [{ type: 'text' as const, text: 'Hi' }] }] };
    assert.equal(
      lineOf('openai-sft', comp('c1', { prompt, completion: { role: 'assistant', content: 'Hello!' } })),
      '{"messages":[{"role":"system","content":"Be kind."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}',
    );
  });
  test('warns below 10 training examples, does not fail', () => {
    const few = exportRows('openai-sft', [comp('c1')]);
    assert.equal(few.rows.length, 1);
    assert.match(few.stats.warnings[0], /at least 10 training examples; this export has 1/);
    const many = exportRows('openai-sft', Array.from({ length: 10 }, (_, i) => comp(`c${i}`, { completion: { role: 'assistant', content: `answer ${i}` } })));
    assert.deepEqual(many.stats.warnings, []);
  });
});

describe('OpenAI DPO', () => {
  test('input + one preferred and one non-preferred assistant message', () => {
    assert.equal(
      lineOf('openai-dpo', pref('p1', { margin: 3 })),
      '{"input":{"messages":[{"role":"user","content":"What color is the sky?"}]},"preferred_output":[{"role":"assistant","content":"It is blue."}],"non_preferred_output":[{"role":"assistant","content":"It is green."}]}',
    );
  });
  test('tools and parallel_tool_calls inside input', () => {
    assert.equal(
      lineOf('openai-dpo', pref('p1', { prompt: weather, chosen: warm, rejected: cold })),
      `{"input":{"messages":${OA_WEATHER_PROMPT},"tools":${TOOLS},"parallel_tool_calls":false},"preferred_output":[{"role":"assistant","content":"18 °C."}],"non_preferred_output":[{"role":"assistant","content":"It is cold."}]}`,
    );
  });
});

describe('rejections', () => {
  const badArgs = {
    messages: [
      { role: 'user' as const, content: 'Weather?' },
      { role: 'assistant' as const, content: null, tool_calls: [{ id: 'call_9', type: 'function' as const, function: { name: 'get_weather', arguments: '{city: Paris' } }] },
      { role: 'tool' as const, tool_call_id: 'call_9', content: '18C' },
    ],
  };
  test('invalid JSON tool arguments, in both conventions', () => {
    for (const f of ['trl-preference', 'openai-dpo'] as const) {
      assert.match(reasonOf(f, pref('p1', { prompt: badArgs })), /prompt message 1: tool call call_9 \(get_weather\) has arguments that are not valid JSON/);
    }
  });
  test('TRL needs arguments that are an object', () => {
    const arr = { messages: [badArgs.messages[0], { ...badArgs.messages[1], tool_calls: [{ id: 'call_9', type: 'function' as const, function: { name: 'f', arguments: '[1]' } }] }] };
    assert.match(reasonOf('trl-preference', pref('p1', { prompt: arr })), /not a JSON object/);
  });
  test('wrong roles: answers must be assistant messages; legacy function role refused', () => {
    assert.match(reasonOf('trl-preference', pref('p1', { chosen: { role: 'user', content: 'x' } })), /chosen must be an assistant message \(got role 'user'\)/);
    assert.match(reasonOf('openai-sft', comp('c1', { completion: { role: 'system', content: 'x' } })), /completion must be an assistant message/);
    const fn = { messages: [{ role: 'function' as const, content: 'x', name: 'f' }, { role: 'user' as const, content: 'y' }] };
    assert.match(reasonOf('openai-dpo', pref('p1', { prompt: fn })), /role 'function' cannot be exported/);
  });
  test('a tool result without a matching call (TRL) or without tool_call_id (OpenAI)', () => {
    const orphan = { messages: [{ role: 'user' as const, content: 'q' }, { role: 'tool' as const, content: 'r' }] };
    assert.match(reasonOf('trl-preference', pref('p1', { prompt: orphan })), /matches no earlier tool call/);
    assert.match(reasonOf('openai-dpo', pref('p1', { prompt: orphan })), /tool result has no tool_call_id/);
  });
  test('record kind, identical answers, non-text content, schema failures', () => {
    assert.match(reasonOf('openai-sft', pref('p1')), /needs a completion record/);
    assert.match(reasonOf('trl-preference', pref('p1', { rejected: blue })), /chosen and rejected are identical/);
    const img = { messages: [{ role: 'user' as const, content: [{ type: 'image_url', image_url: { url: 'x' } }] }] };
    assert.match(reasonOf('trl-preference', pref('p1', { prompt: img })), /only text content/);
    const noName = { ...weather, tools: [{ type: 'function' as const, function: { name: '' } }] };
    assert.match(reasonOf('openai-dpo', pref('p1', { prompt: noName, chosen: warm, rejected: cold })), /schema: data\/input\/tools\/0\/function\/name/);
  });
});
