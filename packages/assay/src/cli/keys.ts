/** `assay keys create|list|revoke` against a running server. */
import type { Command } from 'commander';
import { SCOPES, SCOPE_HELP } from '../keys/service.js';
import { api } from './client.js';

interface KeyOut {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  models: string[] | null;
  created_at: number;
  revoked_at: number | null;
  key?: string;
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('create, list and revoke API keys (needs an admin key)');
  keys
    .command('create')
    .description('create a key; the key is printed once')
    .requiredOption('--name <name>', 'who or what uses the key')
    .option('--scope <scope...>', `scopes: ${SCOPES.map((s) => `${s} (${SCOPE_HELP[s]})`).join('; ')}`, ['model'])
    .option('--model <pattern...>', 'restrict to these models/routes (patterns may end in *)')
    .option('--json', 'print JSON')
    .action(async (o: { name: string; scope: string[]; model?: string[]; json?: boolean }) => {
      const k = await api<KeyOut>('POST', '/api/keys', { name: o.name, scopes: o.scope, models: o.model ?? null });
      if (o.json) console.log(JSON.stringify(k, null, 2));
      else {
        console.log(k.key);
        console.error(`created ${k.id} "${k.name}" with scopes ${k.scopes.join(', ')}${k.models ? `, models ${k.models.join(', ')}` : ''}. The key is shown only once.`);
      }
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
