/** `assay keys create|list|revoke` against a running server. */
import { InvalidArgumentError, type Command } from 'commander';
import type { KeyPolicy } from '../keys/policy.js';
import { SCOPES, SCOPE_HELP } from '../keys/service.js';
import { api } from './client.js';

interface PolicyFlags {
  allowTool?: string[];
  allowKb?: string[];
  allowMcp?: string[];
  allowHttp?: string[];
  user?: string;
  memoryNamespace?: string;
  rpm?: number;
  tpm?: number;
  maxInFlight?: number;
}

const positive = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive whole number`);
  return n;
};

const BOOLEAN_TOOLS = ['run_code', 'memory'] as const;

/** The key policy (keys/policy.ts) the flags describe; undefined when no policy flag was given. */
function policyFrom(o: PolicyFlags): KeyPolicy | undefined {
  const policy: KeyPolicy = {};
  const tools: NonNullable<KeyPolicy['tools']> = {};
  for (const t of o.allowTool ?? []) {
    if (!(BOOLEAN_TOOLS as readonly string[]).includes(t)) throw new InvalidArgumentError(`--allow-tool takes ${BOOLEAN_TOOLS.join(' or ')}; use --allow-kb, --allow-mcp or --allow-http for named sources`);
    tools[t as (typeof BOOLEAN_TOOLS)[number]] = true;
  }
  if (o.allowKb) tools.knowledge_bases = o.allowKb;
  if (o.allowMcp) tools.mcp_servers = o.allowMcp;
  if (o.allowHttp) tools.http_tools = o.allowHttp;
  if (Object.keys(tools).length) policy.tools = tools;
  if (o.user) policy.user = o.user;
  if (o.memoryNamespace) policy.memory_namespace = o.memoryNamespace;
  const limits = { requests_per_minute: o.rpm, tokens_per_minute: o.tpm, max_in_flight: o.maxInFlight };
  if (Object.values(limits).some((v) => v !== undefined)) policy.rate_limits = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
  return Object.keys(policy).length ? policy : undefined;
}

function policyOptions(cmd: Command): Command {
  return cmd
    .option('--allow-tool <tool...>', 'server-side tools the key may add to any call: run_code, memory')
    .option('--allow-kb <name...>', 'knowledge bases the key may search with the retrieve tool ("*" = all)')
    .option('--allow-mcp <server...>', 'MCP servers whose tools the key may use ("*" = all)')
    .option('--allow-http <name...>', 'HTTP tools the key may use ("*" = all)')
    .option('--user <id>', 'bind the key to one end user: every call is that user')
    .option('--memory-namespace <name>', "share end users' memories with other keys of this namespace (default: the key's own)")
    .option('--rpm <n>', 'requests per minute', positive('--rpm'))
    .option('--tpm <n>', 'tokens per minute', positive('--tpm'))
    .option('--max-in-flight <n>', 'calls in flight at once', positive('--max-in-flight'));
}

interface KeyOut {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  models: string[] | null;
  policy: KeyPolicy | null;
  created_at: number;
  revoked_at: number | null;
  key?: string;
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('create, list and revoke API keys (needs an admin key)');
  policyOptions(
    keys
      .command('create')
      .description('create a key; the key is printed once')
      .requiredOption('--name <name>', 'who or what uses the key')
      .option('--scope <scope...>', `scopes: ${SCOPES.map((s) => `${s} (${SCOPE_HELP[s]})`).join('; ')}`, ['model'])
      .option('--model <pattern...>', 'restrict to these models/routes (patterns may end in *)'),
  )
    .option('--json', 'print JSON')
    .action(async (o: { name: string; scope: string[]; model?: string[]; json?: boolean } & PolicyFlags) => {
      const k = await api<KeyOut>('POST', '/api/keys', { name: o.name, scopes: o.scope, models: o.model ?? null, policy: policyFrom(o) ?? null });
      if (o.json) console.log(JSON.stringify(k, null, 2));
      else {
        console.log(k.key);
        console.error(`created ${k.id} "${k.name}" with scopes ${k.scopes.join(', ')}${k.models ? `, models ${k.models.join(', ')}` : ''}. The key is shown only once.`);
      }
    });
  policyOptions(
    keys
      .command('update <id>')
      .description("replace a key's policy (the policy flags given; none clears it) and, with --model, its models")
      .option('--model <pattern...>', 'restrict to these models/routes (patterns may end in *)'),
  )
    .option('--json', 'print JSON')
    .action(async (id: string, o: { model?: string[]; json?: boolean } & PolicyFlags) => {
      const body = { policy: policyFrom(o) ?? null, ...(o.model ? { models: o.model } : {}) };
      const k = await api<KeyOut>('PATCH', `/api/keys/${encodeURIComponent(id)}`, body);
      if (o.json) console.log(JSON.stringify(k, null, 2));
      else console.error(`updated ${k.id} "${k.name}": policy ${k.policy ? JSON.stringify(k.policy) : 'none'}`);
    });
  keys
    .command('list')
    .description('list keys (never the keys themselves)')
    .option('--all', 'include revoked keys')
    .option('--json', 'print JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const { data } = await api<{ data: KeyOut[] }>('GET', `/api/keys${o.all ? '?include_revoked=true' : ''}`);
      if (o.json) return console.log(JSON.stringify(data, null, 2));
      for (const k of data) {
        console.log(
          [k.id, `${k.prefix}…`, k.name, k.scopes.join(','), k.models?.join(',') ?? '*', new Date(k.created_at).toISOString(), k.revoked_at ? 'revoked' : 'active'].join('\t'),
        );
      }
    });
  keys
    .command('revoke <id>')
    .description('revoke a key by id')
    .action(async (id: string) => {
      await api('DELETE', `/api/keys/${encodeURIComponent(id)}`);
      console.error(`revoked ${id}`);
    });
}
