import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from './src/config/load.js';
import { startServer } from './src/server.js';
try {
  await startServer({ config: parseConfig({}, 't', {}), port: Number(process.argv[2]), dataDir: mkdtempSync(join(tmpdir(), 'leak-')), adminKey: 'sk-assay-xxxxxxxxxxxxxxxx', log: () => {} });
} catch (e) { console.log('rejected:', (e as Error).message); }
