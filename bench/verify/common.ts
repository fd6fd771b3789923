/** Helpers the simulation and the live mode of bench:verify share: flags, paths, number formats. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const log = (s: string) => process.stderr.write(`${s}\n`);

/** `--name=value` from argv, or undefined. */
export const argOf = (argv: readonly string[], name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

export const f3 = (x: number) => x.toFixed(3);
export const fd = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '∞');
