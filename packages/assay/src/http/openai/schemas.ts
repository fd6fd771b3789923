/**
 * Request validation for the OpenAI-compatible surface: types are checked, values are left to the
 * provider (it knows its own ranges), and unknown fields are kept so they pass through.
 */
import { z } from 'zod';

const nullableNumber = z.number().nullable().optional();
const nullableInt = z.number().int().nullable().optional();

const contentPart = z.looseObject({ type: z.string({ message: 'each content part needs a "type" such as "text" or "image_url"' }) });

export const chatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function'], {
    message: 'role must be one of system, developer, user, assistant, tool',
  }),
  content: z.union([z.string(), z.array(contentPart), z.null()], { message: 'content must be a string, an array of content parts, or null' }).optional(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string(),
        type: z.literal('function').optional(),
        function: z.looseObject({ name: z.string(), arguments: z.string({ message: 'tool call arguments must be a JSON string' }) }),
      }),
    )
    .optional(),
});

export const chatRequestSchema = z.looseObject({
  model: z.string({ message: 'model is required: a route name or "<provider id>/<model>"' }).min(1, { message: 'model cannot be empty' }),
  // May be empty when a registry prompt supplies the messages; the prompt layer checks that one does.
  messages: z.array(chatMessageSchema, { message: 'messages is required: an array of {role, content}' }),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  tools: z
    .array(
      z.looseObject({
        type: z.string(),
        function: z.looseObject({ name: z.string(), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }).optional(),
      }),
    )
    .optional(),
  tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.looseObject({ type: z.string() })]).optional(),
  response_format: z
    .looseObject({ type: z.enum(['text', 'json_object', 'json_schema'], { message: 'response_format.type must be text, json_object or json_schema' }) })
    .optional(),
  temperature: nullableNumber,
  top_p: nullableNumber,
  n: nullableInt,
  stop: z.union([z.string(), z.array(z.string())]).nullable().optional(),
  seed: nullableInt,
  max_tokens: nullableInt,
  max_completion_tokens: nullableInt,
  presence_penalty: nullableNumber,
  frequency_penalty: nullableNumber,
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string(), { message: 'metadata must be an object of string values' }).nullable().optional(),
  assay: z.looseObject({}).optional(),
});

export const embeddingsRequestSchema = z.looseObject({
  model: z.string({ message: 'model is required: a route name or "<provider id>/<model>"' }).min(1),
  input: z.union(
    [
      z.string(),
      z.array(z.string()).min(1),
      z.array(z.number().int()).min(1),
      z.array(z.array(z.number().int()).min(1)).min(1),
    ],
    { message: 'input must be a string, an array of strings, or token arrays (and not empty)' },
  ),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
  assay: z.looseObject({}).optional(),
});
