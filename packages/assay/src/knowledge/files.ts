/**
 * Finding the files to ingest from command-line arguments (`assay kb add`): files are taken as
 * given; folders are walked recursively (hidden entries and node_modules skipped, symlinked folders
 * followed once), keeping files with a supported extension that match an optional glob. Each file's
 * source is its path relative to the current folder (absolute when outside it), with "/" separators,
 * so running the same command again from the same folder updates the same documents.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface FoundFile {
  path: string;
  /** The document source (and id) the file is stored under. */
  source: string;
  size: number;
}

export interface FileScan {
  files: FoundFile[];
  /** Files named explicitly whose type is not supported. */
  unsupported: string[];
  /** Files inside folders skipped for their type. */
  skipped: number;
  /** Files inside folders that --glob left out. */
  excluded: number;
  /** Arguments that do not exist. */
  missing: string[];
}

export interface ScanOptions {
  /** Supported extensions, with the dot (".md"), lower case. */
  extensions: readonly string[];
  /** Keeps only folder files matching it (path relative to the folder; a pattern without "/" matches the file name). */
  glob?: string;
  cwd?: string;
}

/**
 * A glob as a regular expression: `*` (within a path segment), `**` (any number of segments), `?`,
 * `[abc]` and `{a,b}`. Matching is case-sensitive.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        re += slash ? '(?:[^/]*/)*' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '{') {
      depth++;
      re += '(?:';
    } else if (ch === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (ch === ',' && depth > 0) re += '|';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^$()|\\\]]/g, '\\$&');
  }
  if (depth > 0) throw new Error(`glob ${JSON.stringify(pattern)} has an unclosed "{"`);
  return new RegExp(`^${re}$`);
}

function sourceFor(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  const out = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  return out.split(sep).join('/');
}

export async function collectFiles(args: string[], opts: ScanOptions): Promise<FileScan> {
  const cwd = opts.cwd ?? process.cwd();
  const exts = new Set(opts.extensions.map((e) => e.toLowerCase()));
  const glob = opts.glob ? globToRegExp(opts.glob) : null;
  const globOnName = opts.glob !== undefined && !opts.glob.includes('/');
  const scan: FileScan = { files: [], unsupported: [], skipped: 0, excluded: 0, missing: [] };
  const seen = new Set<string>();
  const supported = (p: string) => exts.has(extname(p).toLowerCase());
  const add = async (path: string, size: number) => {
    const real = await realpath(path);
    if (seen.has(real)) return;
    seen.add(real);
    scan.files.push({ path, source: sourceFor(path, cwd), size });
  };

  const walk = async (root: string, dir: string, visited: Set<string>) => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const path = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      let size = 0;
      if (e.isSymbolicLink() || isFile) {
        const st = await stat(path).catch(() => null); // a dangling link is skipped
        if (!st) continue;
        isDir = st.isDirectory();
        isFile = st.isFile();
        size = st.size;
      }
      if (isDir) {
        const real = await realpath(path);
        if (visited.has(real)) continue; // a link back up the tree
        await walk(root, path, new Set([...visited, real]));
      } else if (isFile) {
        if (!supported(path)) {
          scan.skipped++;
          continue;
        }
        const rel = relative(root, path).split(sep).join('/');
        if (glob && !glob.test(globOnName ? e.name : rel)) {
          scan.excluded++;
          continue;
        }
        await add(path, size);
      }
    }
  };

  for (const arg of args) {
    const path = resolve(cwd, arg);
    const st = await stat(path).catch(() => null);
    if (!st) scan.missing.push(arg);
    else if (st.isDirectory()) await walk(path, path, new Set([await realpath(path)]));
    else if (!supported(path)) scan.unsupported.push(arg);
    else await add(path, st.size);
  }
  return scan;
}
