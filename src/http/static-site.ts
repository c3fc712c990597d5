import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The built browser apps (dist/apps, made by `vite build`) held in memory: a few hundred kilobytes, read
 * once at startup, each file with its strong ETag and, when it is worth it, a gzip copy made once rather
 * than per request. Pure of HTTP: src/http/web-plugin.ts serves it.
 */
export interface StaticFile {
  readonly body: Buffer;
  readonly gzip?: Buffer;
  readonly type: string;
  readonly etag: string;
  /** Content-hashed by the build (under /assets/): cacheable forever. */
  readonly immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.webmanifest', '.txt']);

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Every file of `dir` by its URL path ("/assets/x.js"); undefined when the apps were not built. */
export async function loadStaticSite(dir: string): Promise<Map<string, StaticFile> | undefined> {
  try {
    if (!(await stat(dir)).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const site = new Map<string, StaticFile>();
  for (const path of await filesUnder(dir)) {
    const body = await readFile(path);
    const ext = extname(path).toLowerCase();
    const url = `/${relative(dir, path).split(sep).join('/')}`;
    const gzip = COMPRESSIBLE.has(ext) && body.length > 512 ? gzipSync(body, { level: 9 }) : undefined;
    site.set(url, {
      body, type: TYPES[ext] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      immutable: url.startsWith('/assets/'),
      ...(gzip && gzip.length < body.length ? { gzip } : {}),
    });
  }
  return site;
}

/** Whether the request's Accept-Encoding takes gzip (q=0 refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  }
  return false;
}
