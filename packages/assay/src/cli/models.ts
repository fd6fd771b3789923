/** `assay models list|pull`. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { LocalProviderConfig } from '../providers/local/index.js';
import { api, CliError } from './client.js';

export function registerModels(program: Command): void {
  const models = program.command('models').description('list models and routes; download local models');
  models
    .command('list')
    .description('models and routes the key may use (GET /v1/models on the running server)')
    .action(async () => {
      const { data } = await api<{ data: { id: string; owned_by: string }[] }>('GET', '/v1/models');
      for (const m of data) console.log(`${m.id}\t${m.owned_by}`);
    });
  models
    .command('pull [name]')
    .description('download a local GGUF model into the data dir ahead of first use (default: the model behind local/default)')
    .option('--data-dir <dir>', 'data directory (env ASSAY_DATA_DIR)', process.env.ASSAY_DATA_DIR ?? '.assay')
    .option('--uri <uri>', 'model URI to download (hf:user/repo:quant or https://…/model.gguf)')
    .option('-c, --config <file>', 'config file whose local provider names the model (env ASSAY_CONFIG; default ./assay.config.yaml if present)')
    .option('--provider <id>', 'the local provider to pull for', 'local')
    .action(async (name: string | undefined, o: { dataDir: string; uri?: string; config?: string; provider: string }) => {
      // Loaded here, not at the top: the config schema pulls in every provider and tool module.
      const { configFileFor, loadCliConfig } = await import('./config.js');
      const config = loadCliConfig(configFileFor(o.config, process.env), process.env);
      const local = config.providers.find((p) => p.id === o.provider && p.type === 'local') as LocalProviderConfig | undefined;
      const { pullModel } = await import('../providers/local/index.js');
      try {
        console.log(await pullModel({ name, dataDir: resolve(o.dataDir), uri: o.uri, config: local }));
      } catch (err) {
        throw new CliError((err as Error).message);
      }
    });
}
