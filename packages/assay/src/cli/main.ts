#!/usr/bin/env node
/** The `assay` command. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { CliError } from './client.js';
import { registerDataset } from './dataset.js';
import { registerEval } from './eval.js';
import { registerExport } from './export.js';
import { registerKb } from './kb.js';
import { registerKeys } from './keys.js';
import { registerModels } from './models.js';
import { registerPrompt } from './prompt.js';

const program = new Command('assay')
  .description('Assay: self-hosted LLM gateway and quality workbench.\nThe CLI talks to a running server at ASSAY_URL with ASSAY_API_KEY (default ASSAY_ADMIN_KEY), except `up`.')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride()
  // Options after a command belong to it (\`assay dataset export --version 3\` is the dataset's version,
  // not Assay's): program options such as --version go before the command.
  .enablePositionalOptions();

program
  .command('up')
  .description('start the server (OpenAI-compatible API at /v1, admin API at /api, dashboard at /)')
  .option('-p, --port <port>', 'port to listen on (env ASSAY_PORT)', undefined)
  .option('--host <host>', 'address to bind (env ASSAY_HOST)', undefined)
  .option('-c, --config <file>', 'config file (env ASSAY_CONFIG; default ./assay.config.yaml if present)')
  .option('--data-dir <dir>', 'data directory for the SQLite file and local models (env ASSAY_DATA_DIR; default ./.assay)')
  .addHelpText(
    'after',
    '\nEnvironment: ASSAY_DATABASE_URL (file path, sqlite:PATH or postgres://…), ASSAY_ADMIN_KEY, ASSAY_LOCAL_MODEL (GGUF served as local/default).',
  )
  // Imported when used: the server pulls in every module, which other commands do not need.
  .action(async (o) => (await import('./up.js')).up(o));

registerKeys(program);
registerModels(program);
registerKb(program);
registerDataset(program);
registerPrompt(program);
registerEval(program);
registerExport(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof CliError) {
    console.error(`assay: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error(`assay: ${(err as Error).stack ?? err}`);
  process.exit(1);
}
