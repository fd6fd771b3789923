/** The prompt registry (docs/prompts.md): versions, labels, rendering, the gateway layer. */
export { PromptService, DEFAULT_PROJECT, type PromptServiceOptions, type ListFilter } from './service.js';
export { promptLayer, promptPlan, applyPrompt, PROMPT_MODEL, CONFIG_PARAMS, type PromptLayerDeps, type PromptPlan } from './layer.js';
export { compileTemplate, compileVersion, fillTemplate, renderCompiled, renderTemplate, variablesOf, type CompiledVersion, type RenderArgs, type RenderedPrompt, type Template } from './render.js';
export { diffLines, diffMessages, diffConfig, diffVersions, type PromptDiff, type DiffLine, type MessageDiff, type ConfigChange } from './diff.js';
export type { VersionMeta } from './repo.js';
export * from './types.js';
