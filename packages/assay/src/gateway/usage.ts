/** Token usage summed over several model calls of one client call (a tool loop, a verification): what the client is billed for. */
import type { Usage } from './types.js';

export class UsageTotal {
  prompt = 0;
  completion = 0;
  cached = 0;
  reasoning = 0;
  private seen = false;

  add(u: Usage | null | undefined): void {
    if (!u) return;
    this.seen = true;
    this.prompt += u.prompt_tokens ?? 0;
    this.completion += u.completion_tokens ?? 0;
    this.cached += u.prompt_tokens_details?.cached_tokens ?? 0;
    this.reasoning += u.completion_tokens_details?.reasoning_tokens ?? 0;
  }

  get total(): number {
    return this.prompt + this.completion;
  }

  usage(): Usage | undefined {
    if (!this.seen) return undefined;
    return {
      prompt_tokens: this.prompt,
      completion_tokens: this.completion,
      total_tokens: this.total,
      ...(this.cached ? { prompt_tokens_details: { cached_tokens: this.cached } } : {}),
      ...(this.reasoning ? { completion_tokens_details: { reasoning_tokens: this.reasoning } } : {}),
    };
  }
}
