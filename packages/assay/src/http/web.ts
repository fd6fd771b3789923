/**
 * The dashboard (packages/web, built by `npm run build`) served at /: files read once at start,
 * gzipped once, hashed assets cached for a year, any other page path answered with index.html (the
 * app routes in the browser). Without a build, / shows the plain home page (http/home.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';
import { publicRoute } from './auth.js';
import type { AppDeps } from './deps.js';
import { homePage } from './home.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

interface WebFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  immutable: boolean;
}

/** packages/web/dist, from src/http or dist/http of packages/assay; ASSAY_WEB_DIR overrides. */
export function webDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ASSAY_WEB_DIR ? resolve(env.ASSAY_WEB_DIR) : fileURLToPath(new URL('../../../web/dist', import.meta.url));
}

export function loadWebFiles(dir: string): Map<string, WebFile> | null {
  if (!existsSync(join(dir, 'index.html'))) return null;
  const files = new Map<string, WebFile>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const ext = extname(p);
        const body = readFileSync(p);
        const urlPath = `/${relative(dir, p).split(sep).join('/')}`;
        files.set(urlPath, {
          body,
          gzip: COMPRESSIBLE.has(ext) && body.length > 512 ? gzipSync(body, { level: 9 }) : null,
          type: TYPES[ext] ?? 'application/octet-stream',
          immutable: urlPath.startsWith('/assets/'),
        });
      }
    }
  };
  walk(dir);
  return files;
}

function send(c: Context, f: WebFile): Response {
  const gzip = f.gzip && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  const headers: Record<string, string> = {
    'content-type': f.type,
    'cache-control': f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
    vary: 'accept-encoding',
  };
  if (f.type.startsWith('text/html')) {
    headers['content-security-policy'] = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";
    headers['x-frame-options'] = 'DENY';
    headers['referrer-policy'] = 'same-origin';
  }
  if (gzip) headers['content-encoding'] = 'gzip';
  return c.body(new Uint8Array(gzip ? f.gzip! : f.body), 200, headers);
}

/** Registers the dashboard routes; call after every API route. */
export function registerWeb(app: Hono, deps: AppDeps, dir = webDir()): void {
  const files = loadWebFiles(dir);
  if (!files) {
    app.get('/', publicRoute(), (c) => c.html(homePage(deps, c.req.header('host') ?? '127.0.0.1:4141')));
    return;
  }
  const index = files.get('/index.html')!;
  app.get('*', publicRoute(), async (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/api/') || path === '/api' || path.startsWith('/v1/') || path === '/v1' || path === '/health') return next();
    const file = files.get(path);
    if (file) return send(c, file);
    // Unknown asset-like paths are 404s; page paths belong to the app's router.
    if (path.startsWith('/assets/') || extname(path)) return next();
    return send(c, index);
  });
}
