import { parentPort } from 'node:worker_threads';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { fhirDefinitions } from '../definitions.js';
import { validationIssues } from '../validation.js';
import { extractIndex } from '../search/extract/index.js';
import { searchRegistry } from '../search/registry.js';
import { serializeIndex, type SerializedIndex } from '../../storage/search-index.js';

/**
 * A validation worker thread (off-loop.ts starts it): parses a large body's JSON text itself (sending the
 * text costs a copy; sending the parsed object would cost a structured clone about as dear as the parse)
 * and validates the resources at the given paths, answering their issues. It holds no state but the R4
 * definitions, loaded once when it starts.
 */

export interface ValidationTask {
  readonly id: number;
  readonly text: string;
  /** Where each resource to validate is in the parsed body: [] is the body itself, ['entry', 3, 'resource']… */
  readonly paths: readonly (readonly (string | number)[])[];
  /**
   * For a write: the FHIR base URL, and each valid resource's search index rows of the parameters a write
   * leaves alone (`stable`, extract/index.ts) are computed and serialized here too, off the event loop.
   */
  readonly indexBase?: string;
}

export type ValidationReply =
  | { readonly id: number; readonly issues: OperationOutcomeIssue[][]; readonly indexes?: (SerializedIndex | null)[] }
  | { readonly id: number; readonly error: string };

function at(root: unknown, path: readonly (string | number)[]): Resource {
  let node = root;
  for (const step of path) node = (node as Record<string | number, unknown>)[step];
  return node as Resource;
}

const port = parentPort;
if (port) {
  fhirDefinitions();
  searchRegistry();
  port.on('message', (task: ValidationTask) => {
    let reply: ValidationReply;
    try {
      const body: unknown = JSON.parse(task.text);
      const issues = task.paths.map((path) => validationIssues(at(body, path)));
      const base = task.indexBase;
      const invalid = (i: number) => (issues[i] ?? []).some((x) => x.severity === 'error' || x.severity === 'fatal');
      const indexes = base === undefined ? undefined
        : task.paths.map((path, i) => (invalid(i) ? null : serializeIndex(extractIndex(at(body, path), base, 'stable'))));
      reply = { id: task.id, issues, ...(indexes ? { indexes } : {}) };
    } catch (error) {
      reply = { id: task.id, error: (error as Error).message };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
}
