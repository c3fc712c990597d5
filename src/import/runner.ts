import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir/context.js';
import { FhirError } from '../fhir/outcomes.js';
import { executeWrites } from '../fhir/write/engine.js';
import type { WriteOp, WriteResult } from '../fhir/write/operations.js';
import { withRetries } from '../storage/database.js';
import { readFile } from 'node:fs/promises';
import { CDA_CONTENT_TYPE, convertCcda } from '../documents/ccda/convert.js';
import { DocumentProblem, planDocument, type DocumentPlan } from '../documents/ingest/document.js';
import { storeDocument } from '../fhir/operations/document-ingest.js';
import { discoverFiles, isNdjson, readJsonFile, readNdjsonChunks } from './files.js';
import { planBundle, resourceWrite } from './plan.js';
import { silentReporter, type ImportReporter } from './progress.js';
import { countResults, emptySummary, type ImportSummary } from './summary.js';

/** Resources per database transaction when loading NDJSON or collections. */
export const CHUNK_SIZE = 500;

/**
 * Loads files through the same write engine as the API. A transaction Bundle is one database transaction;
 * NDJSON and other Bundles are written in chunks. A document Bundle and a C-CDA (`.xml`) are filed as
 * `Bundle/$ingest` and `$import-ccda` file them (docs/documents.md), one transaction each. A file that fails is reported and the next one goes on.
 */
export interface ImportOptions {
  /** The organisation recorded as the writer of every imported version (access control: docs/security.md). */
  readonly author?: string;
}

export async function importPaths(ctx: FhirContext, paths: readonly string[], reporter: ImportReporter = silentReporter, options: ImportOptions = {}): Promise<ImportSummary> {
  const files = await discoverFiles(paths);
  const summary = emptySummary();
  const started = Date.now();
  reporter.start(files.length);
  for (const file of files) {
    try {
      if (isNdjson(file)) await importNdjson(ctx, file, summary, options);
      else if (/\.xml$/i.test(file)) await importCcda(ctx, file, summary, options);
      else await importJson(ctx, file, summary, options);
    } catch (error) {
      const message = error instanceof FhirError || error instanceof Error ? error.message : String(error);
      summary.failedFiles++;
      summary.failures.push({ file, message });
      reporter.fileFailed(file, message);
      if (!(error instanceof FhirError) && !(error instanceof SyntaxError) && !/^line \d+/.test(message)) {
        ctx.log.warn({ file, err: error }, 'import of a file failed');
      }
    }
    summary.filesDone++;
    summary.elapsedMs = Date.now() - started;
    reporter.progress(summary);
  }
  summary.elapsedMs = Date.now() - started;
  reporter.finish(summary);
  return summary;
}

async function write(ctx: FhirContext, ops: WriteOp[], transaction: boolean, entryIndexes: number[] | undefined, options: ImportOptions): Promise<WriteResult[]> {
  return withRetries(ctx.db, (tx) => executeWrites(tx, ctx, ops, { transaction, ...(entryIndexes ? { entryIndexes } : {}), ...(options.author ? { author: options.author } : {}) }));
}

/** A received document (a FHIR document Bundle, a C-CDA's XML) filed as `$ingest` / `$import-ccda` file it. */
async function importDocument(ctx: FhirContext, plan: () => DocumentPlan, operation: string, summary: ImportSummary, options: ImportOptions): Promise<void> {
  let planned: DocumentPlan;
  try {
    planned = plan();
  } catch (error) {
    if (error instanceof DocumentProblem) throw new FhirError('invalid', error.message);
    throw error;
  }
  const request = { method: 'POST', path: operation, query: new URLSearchParams(), headers: {} };
  const { written } = await storeDocument(ctx, request, planned, operation, options.author);
  if (written.length === 0) summary.unchanged += planned.resources.length + 1;
  countResults(summary, written);
}

async function importCcda(ctx: FhirContext, file: string, summary: ImportSummary, options: ImportOptions): Promise<void> {
  const bytes = await readFile(file);
  await importDocument(ctx, () => {
    const conversion = convertCcda(bytes.toString('utf8'));
    return planDocument(conversion.bundle, {
      now: ctx.clock().toISOString(), original: { contentType: CDA_CONTENT_TYPE, bytes }, warnings: conversion.warnings,
      ...(conversion.documentType ? { identity: conversion.documentType } : {}),
    });
  }, '$import-ccda', summary, options);
}

async function importJson(ctx: FhirContext, file: string, summary: ImportSummary, options: ImportOptions): Promise<void> {
  const content = (await readJsonFile(file)) as Resource;
  if (content?.resourceType === 'Bundle' && (content as Bundle).type === 'document') {
    await importDocument(ctx, () => planDocument(content, { now: ctx.clock().toISOString() }), 'Bundle/$ingest', summary, options);
    return;
  }
  if (content?.resourceType !== 'Bundle') {
    const op = resourceWrite(content);
    if (!op) throw new FhirError('invalid', 'the file holds neither a Bundle nor a resource');
    countResults(summary, await write(ctx, [op], false, undefined, options));
    return;
  }
  const plan = planBundle(content as Bundle);
  summary.skipped += plan.skipped;
  if (plan.transaction) {
    countResults(summary, await write(ctx, plan.ops, true, plan.entryIndexes, options));
    return;
  }
  for (let i = 0; i < plan.ops.length; i += CHUNK_SIZE) {
    countResults(summary, await write(ctx, plan.ops.slice(i, i + CHUNK_SIZE), false, plan.entryIndexes.slice(i, i + CHUNK_SIZE), options));
  }
}

async function importNdjson(ctx: FhirContext, file: string, summary: ImportSummary, options: ImportOptions): Promise<void> {
  for await (const { resources, firstLine } of readNdjsonChunks(file, CHUNK_SIZE)) {
    const ops = resources.map((resource, i) => {
      const op = resourceWrite(resource);
      if (!op || typeof resource.resourceType !== 'string') throw new FhirError('invalid', `line ${firstLine + i}: not a FHIR resource`);
      return op;
    });
    try {
      countResults(summary, await write(ctx, ops, false, ops.map((_, i) => firstLine + i), options));
    } catch (error) {
      if (error instanceof FhirError) {
        const located = /^Bundle\.entry\[\d+\]/.test(error.message)
          ? error.message.replace(/^Bundle\.entry\[(\d+)\]/, 'line $1')
          : `line ${firstLine}${ops.length > 1 ? `-${firstLine + ops.length - 1}` : ''}: ${error.message}`;
        throw new FhirError(error.code, located, error.issues);
      }
      throw error;
    }
  }
}
