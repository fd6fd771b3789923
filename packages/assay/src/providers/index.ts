/** Every provider type Assay knows. A new provider = a folder with a ProviderModule, listed here. */
import type { ProviderModule } from '../gateway/spec.js';
import { anthropicProvider } from './anthropic/index.js';
import { localProvider } from './local/index.js';
import { openaiProvider } from './openai/index.js';

export const providerModules = [openaiProvider, anthropicProvider, localProvider] as const satisfies readonly ProviderModule[];

export function providerModule(type: string): ProviderModule | undefined {
  return providerModules.find((m) => m.type === type);
}
