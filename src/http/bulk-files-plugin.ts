import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { bulkExporter } from '../access/route-policies.js';
import { errorResponse, errors } from '../fhir/outcomes.js';
import type { ResearchConfig } from '../research/config.js';
import { exportDirectory } from '../research/export/runner.js';
import { readExport, readFile } from '../research/export/store.js';
import type { Database } from '../storage/database.js';
import { sendFhir } from './fhir-plugin.js';

/**
 * The files of a completed bulk export (the manifest's URLs): streamed from disk with the same kind of
 * token the export was requested with, to the client that requested it only. Each download is audited
 * (route-audit.ts).
 */
export async function bulkFilesPlugin(app: FastifyInstance, options: { db: Database; config: ResearchConfig }): Promise<void> {
  const { db, config } = options;
  app.get('/bulk-files/:id/:name', { config: { access: bulkExporter } }, async (request, reply) => {
    const { id, name } = request.params as { id: string; name: string };
    const absent = () => sendFhir(reply, errorResponse(errors.notFound('No such export file')));
    if (!/^[A-Za-z0-9.-]{1,100}$/.test(id) || !/^[A-Za-z]+\.[A-Za-z0-9.]+\.ndjson$/.test(name)) return absent();
    const row = await readExport(db, id);
    if (!row || row.clientId !== request.principal?.clientId || row.status !== 'completed') return absent();
    const file = await readFile(db, id, name);
    if (!file) return absent();
    // The token must still cover the file's type: a client that re-authorised with narrower scopes since
    // the kick-off downloads only what those scopes read (the error files are the export's own report).
    const reads = (type: string) => request.principal?.scopes.resources.some((s) => s.context === 'system' && (s.type === '*' || s.type === type) && s.permissions.has('r'));
    if (file.kind === 'output' && !reads(file.type)) return sendFhir(reply, errorResponse(errors.forbidden(`The access token's scopes do not read ${file.type}`)));
    const path = join(exportDirectory(config, id), file.name);
    const size = await stat(path).then((s) => s.size, () => undefined);
    if (size === undefined) return absent();
    reply.header('content-type', 'application/fhir+ndjson');
    reply.header('content-length', String(file.bytes));
    reply.header('cache-control', 'no-store');
    // Exactly the committed bytes: a file is never longer than its last checkpoint once the export completed.
    return reply.send(createReadStream(path, { start: 0, end: Math.max(0, file.bytes - 1) }));
  });
}
