/**
 * Row builders: one record in, one row object out, keys in the order of the published examples
 * (TRL's dataset_formats, OpenAI's fine-tuning docs). Preference formats take PreferenceRecords,
 * the others CompletionRecords. A record that cannot be written faithfully throws RowError.
 */
import type { ChatMessage } from '../../gateway/types.js';
import { answerText, checkAnswer, openaiMessage, openaiPrompt, promptText, RowError, toolDefs, trlAnswer, trlPrompt } from './messages.js';
import type { CompletionRecord, Conversation, ExportFormat, ExportRecord, PreferenceRecord, TrlStyle } from './types.js';

type Json = Record<string, unknown>;

export interface BuildContext {
  style: TrlStyle;
  /** Standard implicit-prompt rows: between the prompt text and the answer text. */
  separator: string;
}

export const PREFERENCE_FORMATS: ReadonlySet<ExportFormat> = new Set(['trl-preference', 'trl-preference-implicit', 'openai-dpo']);

export function isPreference(r: ExportRecord): r is PreferenceRecord {
  return 'chosen' in r && 'rejected' in r;
}

function withMargin(row: Json, r: PreferenceRecord): Json {
  if (r.margin !== undefined) {
    if (typeof r.margin !== 'number' || !Number.isFinite(r.margin)) throw new RowError('margin must be a finite number');
    row.margin = r.margin;
  }
  return row;
}

/** TRL conversational rows carry the prompt's tools as a top-level `tools` column. */
function withTrlTools(row: Json, p: Conversation): Json {
  if (p.tools !== undefined) row.tools = toolDefs(p.tools);
  return row;
}

function openaiInput(p: Conversation): Json {
  const input: Json = { messages: openaiPrompt(p) };
  if (p.tools !== undefined) input.tools = toolDefs(p.tools);
  if (p.parallel_tool_calls !== undefined) input.parallel_tool_calls = p.parallel_tool_calls;
  return input;
}

function openaiOutput(m: ChatMessage, what: string): Json[] {
  checkAnswer(m, what);
  return [openaiMessage(m, what)];
}

function preferenceRow(format: ExportFormat, r: PreferenceRecord, ctx: BuildContext): Json {
  const conv = ctx.style === 'conversational';
  switch (format) {
    case 'trl-preference':
      return conv
        ? withTrlTools(withMargin({ prompt: trlPrompt(r.prompt), chosen: [trlAnswer(r.chosen, 'chosen')], rejected: [trlAnswer(r.rejected, 'rejected')] }, r), r.prompt)
        : withMargin({ prompt: promptText(r.prompt), chosen: answerText(r.chosen, 'chosen'), rejected: answerText(r.rejected, 'rejected') }, r);
    case 'trl-preference-implicit': {
      if (conv) {
        const prompt = trlPrompt(r.prompt);
        return withTrlTools(withMargin({ chosen: [...prompt, trlAnswer(r.chosen, 'chosen')], rejected: [...prompt, trlAnswer(r.rejected, 'rejected')] }, r), r.prompt);
      }
      const prompt = promptText(r.prompt) + ctx.separator;
      return withMargin({ chosen: prompt + answerText(r.chosen, 'chosen'), rejected: prompt + answerText(r.rejected, 'rejected') }, r);
    }
    case 'openai-dpo':
      return {
        input: openaiInput(r.prompt),
        preferred_output: openaiOutput(r.chosen, 'chosen'),
        non_preferred_output: openaiOutput(r.rejected, 'rejected'),
      };
    default:
      throw new RowError(`${format} takes completion records, not preferences`);
  }
}

function completionRow(format: ExportFormat, r: CompletionRecord, ctx: BuildContext): Json {
  const conv = ctx.style === 'conversational';
  if (format !== 'trl-unpaired' && r.label === false) {
    throw new RowError(`label is false (an undesirable completion): ${format} trains on every completion it gets; use trl-unpaired`);
  }
  switch (format) {
    case 'trl-unpaired':
      if (typeof r.label !== 'boolean') throw new RowError('trl-unpaired needs a boolean label (desirable or not)');
      return conv
        ? withTrlTools({ prompt: trlPrompt(r.prompt), completion: [trlAnswer(r.completion, 'completion')], label: r.label }, r.prompt)
        : { prompt: promptText(r.prompt), completion: answerText(r.completion, 'completion'), label: r.label };
    case 'trl-prompt-completion':
      return conv
        ? withTrlTools({ prompt: trlPrompt(r.prompt), completion: [trlAnswer(r.completion, 'completion')] }, r.prompt)
        : { prompt: promptText(r.prompt), completion: answerText(r.completion, 'completion') };
    case 'openai-sft': {
      checkAnswer(r.completion, 'completion');
      if (r.weight !== undefined && r.weight !== 0 && r.weight !== 1) throw new RowError('weight must be 0 or 1');
      const input = openaiInput(r.prompt);
      const messages = [...(input.messages as Json[]), openaiMessage(r.completion, 'completion', r.weight)];
      return { ...input, messages };
    }
    default:
      throw new RowError(`${format} takes preference records, not completions`);
  }
}

/** One record as a row object of the format. */
export function buildRow(format: ExportFormat, record: ExportRecord, ctx: BuildContext): Json {
  return isPreference(record) ? preferenceRow(format, record, ctx) : completionRow(format, record, ctx);
}
