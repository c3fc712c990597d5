import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CARNET_VERSION } from '../version.js';
import { acceptsGzip, loadStaticSite, type StaticFile } from './static-site.js';

/**
 * The browser apps, served by Carnet itself from dist/apps: `/` (the landing page), `/portail/` (the
 * citizen portal) and `/clinique/` (the professional workspace), single-page apps whose unknown paths
 * fall back to their index.html. Everything is self-hosted, so the Content-Security-Policy allows only
 * this origin (no inline script or style, no framing). Hashed assets are cached for a year; pages are
 * revalidated on every load so a new version is picked up at once.
 */
export const WEB_DIR = fileURLToPath(new URL('../../apps/', import.meta.url));

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "manifest-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'",
].join('; ');

export interface WebOptions {
  /** Where the built apps are (default dist/apps); when absent, `/` answers JSON as it did before the apps. */
  readonly dir?: string;
  readonly fhirBaseUrl: string;
  /** Demo mode: the landing page lists these logins (never in production). */
  readonly demoLogins?: () => readonly { username: string; password: string; role: string; totp: boolean }[];
  /** Demo mode: the demo accounts' current second-factor code (their TOTP secret is public anyway). */
  readonly demoTotp?: () => string;
}

const APPS = ['portail', 'clinique'] as const;

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply {
  reply.header('etag', file.etag).header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding');
  if (file.immutable) reply.header('cache-control', 'public, max-age=31536000, immutable');
  else reply.header('cache-control', 'no-cache');
  if (file.type.startsWith('text/html')) {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin')
      .header('cross-origin-opener-policy', 'same-origin')
      .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  }
  const match = request.headers['if-none-match'];
  if (match && match.split(',').map((m) => m.trim()).includes(file.etag)) return reply.code(304).send();
  reply.type(file.type);
  if (file.gzip && acceptsGzip(request.headers['accept-encoding'] as string | undefined)) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.body);
}

export async function webPlugin(app: FastifyInstance, options: WebOptions): Promise<void> {
  const site = await loadStaticSite(options.dir ?? WEB_DIR);
  const open = { config: { access: 'public' as const } };
  const about = { name: 'Carnet', version: CARNET_VERSION, fhir: options.fhirBaseUrl };

  app.get('/', open, async (request, reply) => {
    const landing = site?.get('/index.html');
    // Programs asking for JSON (and every request when the apps were not built) get what `/` always said.
    const wantsHtml = /text\/html/.test(request.headers.accept ?? '');
    if (!landing || !wantsHtml) return reply.header('cache-control', 'no-cache').send(about);
    return send(request, reply, landing);
  });

  app.get('/demo/logins', open, async (_request, reply) => {
    if (!options.demoLogins) return reply.code(404).header('cache-control', 'no-store').send({ demo: false });
    return reply.header('cache-control', 'no-store').send({ demo: true, logins: options.demoLogins(), ...(options.demoTotp ? { totpCode: options.demoTotp() } : {}) });
  });

  if (!site) return;
  app.get('/assets/*', open, async (request, reply) => {
    const file = site.get(request.url.split('?')[0] as string);
    if (!file) return reply.code(404).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('Not found');
    return send(request, reply, file);
  });
  for (const name of ['/favicon.svg', '/robots.txt']) {
    const file = site.get(name);
    if (file) app.get(name, open, async (request, reply) => send(request, reply, file));
  }
  for (const name of APPS) {
    const index = site.get(`/${name}/index.html`);
    if (!index) continue;
    // Client-side routes (/portail/resultats, …) are the app's index; the app shows its own "not found".
    const handler = async (request: FastifyRequest, reply: FastifyReply) => send(request, reply, index);
    app.get(`/${name}`, open, handler);
    app.get(`/${name}/*`, open, handler);
  }
}
