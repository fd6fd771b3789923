/** Shared records of the export tests: a one-question prompt and the tool-calling example of reference §9. */
import type { ChatMessage } from '../../gateway/types.js';
import type { CompletionRecord, Conversation, PreferenceRecord, Provenance } from './types.js';

export const prov = (extra: Partial<Provenance> = {}): Provenance => ({ trace_ids: ['tr_1'], annotators: ['ann_a'], ...extra });

export const sky: Conversation = { messages: [{ role: 'user', content: 'What color is the sky?' }] };
export const blue: ChatMessage = { role: 'assistant', content: 'It is blue.' };
export const green: ChatMessage = { role: 'assistant', content: 'It is green.' };

export const weather: Conversation = {
  messages: [
    { role: 'system', content: 'Be terse.' },
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: '18C' },
  ],
  tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  parallel_tool_calls: false,
};
export const warm: ChatMessage = { role: 'assistant', content: '18 °C.' };
export const cold: ChatMessage = { role: 'assistant', content: 'It is cold.' };

export function pref(id: string, extra: Partial<PreferenceRecord> = {}): PreferenceRecord {
  return { id, prompt: sky, chosen: blue, rejected: green, source: 'pairwise', provenance: prov(), ...extra };
}

export function comp(id: string, extra: Partial<CompletionRecord> = {}): CompletionRecord {
  return { id, prompt: sky, completion: blue, label: true, source: 'accepted', provenance: prov(), ...extra };
}
