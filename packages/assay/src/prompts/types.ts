/**
 * The prompt registry's types and input rules (docs/prompts.md): names, labels, the two prompt
 * types (text; chat messages with optional placeholders), immutable versions and the references a
 * request or a route uses to pick one (`{name, label | version}`).
 */
import { z } from 'zod';

export type PromptType = 'text' | 'chat';

/** A chat message of a chat prompt; `content` may hold {{variables}}. */
export interface PromptMessage {
  role: PromptRole;
  content: string;
}

/** Stands for messages supplied at render time (`placeholders: {name: [...]}`), as in Langfuse. */
export interface PlaceholderItem {
  type: 'placeholder';
  name: string;
}

export type ChatItem = PromptMessage | PlaceholderItem;
export type PromptBody = string | ChatItem[];

export const PROMPT_ROLES = ['system', 'developer', 'user', 'assistant'] as const;
export type PromptRole = (typeof PROMPT_ROLES)[number];

/** The label every prompt has: always the newest version; never stored, never set by hand. */
export const LATEST = 'latest';
/** The label a reference without label or version resolves to. */
export const PRODUCTION = 'production';

export const MAX_NAME_CHARS = 200;
export const MAX_PROMPT_CHARS = 256 * 1024;
export const MAX_MESSAGES = 500;
export const MAX_TAGS = 50;
export const MAX_LABELS = 50;

/** One immutable version as stored. Labels and tags live on the prompt and are added by views. */
export interface VersionRecord {
  projectId: string;
  name: string;
  version: number;
  type: PromptType;
  prompt: PromptBody;
  config: Record<string, unknown>;
  commitMessage: string | null;
  createdBy: string | null;
  createdAt: number;
}

/** A prompt's mutable head: type, tags, newest version and where its labels point. */
export interface PromptHead {
  projectId: string;
  name: string;
  type: PromptType;
  tags: string[];
  latest: number;
  /** Label → version (`latest` excluded). */
  labels: Record<string, number>;
  createdAt: number;
  updatedAt: number;
}

/** Which version to use: an explicit version, else a label, else `production`. */
export interface PromptRef {
  name: string;
  label?: string;
  version?: number;
}

/** A version as the Assay API shows it. */
export interface PromptVersionView {
  name: string;
  version: number;
  type: PromptType;
  prompt: PromptBody;
  config: Record<string, unknown>;
  /** Labels pointing at this version, `latest` included when it is the newest. */
  labels: string[];
  tags: string[];
  /** The {{variables}} the template uses. */
  variables: string[];
  commit_message: string | null;
  created_by: string | null;
  created_at: number;
}

/** A prompt in a list: its newest version and its labels. */
export interface PromptSummary {
  name: string;
  type: PromptType;
  tags: string[];
  latest_version: number;
  labels: Record<string, number>;
  created_at: number;
  updated_at: number;
}

export const labelsOf = (head: Pick<PromptHead, 'labels' | 'latest'>, version: number): string[] => {
  const out = Object.entries(head.labels).filter(([, v]) => v === version).map(([l]) => l).sort();
  if (version === head.latest) out.push(LATEST);
  return out;
};

// ---- input rules -------------------------------------------------------------------------------

/** Path-like names (`support/answer`): no control characters, no empty segment, no leading/trailing "/" or space. */
export const promptNameSchema = z
  .string({ message: 'name is required: the prompt name, e.g. "support/answer"' })
  .min(1, { message: 'name cannot be empty' })
  .max(MAX_NAME_CHARS, { message: `name is longer than ${MAX_NAME_CHARS} characters` })
  .refine((n) => !/[\u0000-\u001f\u007f]/.test(n), { message: 'name cannot contain control characters' })
  .refine((n) => n.trim() === n, { message: 'name cannot start or end with a space' })
  .refine((n) => !n.startsWith('/') && !n.endsWith('/') && !n.includes('//'), {
    message: 'name cannot start or end with "/" or have an empty segment ("a//b"); use names like "support/answer"',
  });

export const labelSchema = z
  .string()
  .regex(/^[a-z0-9_-]{1,64}$/, { message: 'labels are 1–64 lowercase letters, digits, "_" or "-" (e.g. production, staging, canary-2)' })
  .refine((l) => l !== LATEST, { message: '"latest" is set automatically on the newest version and cannot be assigned' });

const tagSchema = z.string().min(1).max(100);

export const messageSchema = z.strictObject({
  role: z.enum(PROMPT_ROLES, { message: `role must be one of ${PROMPT_ROLES.join(', ')}` }),
  content: z.string({ message: 'content must be a string (it may hold {{variables}})' }).max(MAX_PROMPT_CHARS),
});

export const placeholderSchema = z.strictObject({
  type: z.literal('placeholder'),
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'a placeholder name is letters, digits and "_" (not starting with a digit)' }),
});

/** A chat item as accepted: a message (optionally tagged `type: "chatmessage"`, as Langfuse SDKs send) or a placeholder. */
export const chatItemSchema = z.union(
  [
    placeholderSchema,
    messageSchema,
    messageSchema.extend({ type: z.literal('chatmessage') }).transform(({ role, content }) => ({ role, content })),
  ],
  { message: 'each chat message is {role, content} or a placeholder {type: "placeholder", name}' },
);

export const configSchema = z.record(z.string(), z.unknown(), { message: 'config must be a JSON object, e.g. {"model": "gpt-4o-mini", "temperature": 0.2}' });

/** What creating a version takes (the Assay API; the Langfuse surface maps its own names onto it). */
export const createInputSchema = z
  .strictObject({
    name: promptNameSchema,
    type: z.enum(['text', 'chat'], { message: 'type must be "text" or "chat"' }).optional(),
    prompt: z.union([z.string().max(MAX_PROMPT_CHARS, { message: `a text prompt is at most ${MAX_PROMPT_CHARS} characters` }), z.array(chatItemSchema).min(1).max(MAX_MESSAGES)], {
      message: 'prompt is required: a string (text prompt) or an array of {role, content} messages (chat prompt)',
    }),
    config: configSchema.nullable().optional(),
    labels: z.array(labelSchema).max(MAX_LABELS).optional(),
    tags: z.array(tagSchema).max(MAX_TAGS).optional(),
    commit_message: z.string().max(10_000).nullable().optional(),
  })
  .superRefine((v, ctx) => {
    const kind = typeof v.prompt === 'string' ? 'text' : 'chat';
    if (v.type && v.type !== kind) {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: `type is "${v.type}" but prompt is ${kind === 'text' ? 'a string' : 'an array of messages'}` });
    }
  });

export type CreateInput = z.input<typeof createInputSchema>;

/** A validated create input: type settled, config an object. */
export interface NewVersion {
  name: string;
  type: PromptType;
  prompt: PromptBody;
  config: Record<string, unknown>;
  labels: string[];
  tags?: string[];
  commitMessage: string | null;
}

export function toNewVersion(v: z.output<typeof createInputSchema>): NewVersion {
  return {
    name: v.name,
    type: typeof v.prompt === 'string' ? 'text' : 'chat',
    prompt: v.prompt as PromptBody,
    config: v.config ?? {},
    labels: [...new Set(v.labels ?? [])],
    tags: v.tags ? [...new Set(v.tags)] : undefined,
    commitMessage: v.commit_message ?? null,
  };
}

/** A label in a reference: any label, `latest` included. */
export const refLabelSchema = z.string().regex(/^[a-z0-9_-]{1,64}$/, { message: 'a label is 1–64 lowercase letters, digits, "_" or "-" (e.g. production, staging, latest)' });

/** `{name, label?, version?}`: label and version are exclusive. Also a route's `prompt:` binding. */
export const promptRefSchema = z
  .strictObject({
    name: promptNameSchema,
    label: refLabelSchema.optional(),
    version: z.number().int().positive().optional(),
  })
  .refine((r) => r.label === undefined || r.version === undefined, { message: 'give label or version, not both' });

/** A message a placeholder is filled with (any OpenAI chat message). */
export type FilledMessage = { role: string; content?: unknown; [k: string]: unknown };

/** Variables are strings (other JSON values are inserted as JSON); placeholders are message arrays. */
export const renderArgsSchema = z.strictObject({
  variables: z.record(z.string(), z.unknown(), { message: 'variables must be an object of name → value' }).optional(),
  placeholders: z
    .record(z.string(), z.array(z.looseObject({ role: z.string() }), { message: 'a placeholder value is an array of {role, content} messages' }))
    .optional(),
});
