/** Which config file a command uses (--config, ASSAY_CONFIG, ./assay.config.yaml) and loading it (bad config: exit 2). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadConfigFile, parseConfig } from '../config/load.js';
import type { AssayConfig } from '../config/schema.js';
import { CliError } from './client.js';

export function configFileFor(flag: string | undefined, env: NodeJS.ProcessEnv): string | null {
  const explicit = flag ?? env.ASSAY_CONFIG;
  if (explicit) return resolve(explicit);
  return existsSync('assay.config.yaml') ? resolve('assay.config.yaml') : null;
}

export function loadCliConfig(file: string | null, env: NodeJS.ProcessEnv): AssayConfig {
  try {
    return file ? loadConfigFile(file, env) : parseConfig({}, '(no config file)', env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
}
