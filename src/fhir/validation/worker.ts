import { parentPort } from 'node:worker_threads';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { fhirDefinitions } from '../definitions.js';
import { validationIssues } from '../validation.js';

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
}

export type ValidationReply =
  | { readonly id: number; readonly issues: OperationOutcomeIssue[][] }
  | { readonly id: number; readonly error: string };

function at(root: unknown, path: readonly (string | number)[]): Resource {
  let node = root;
  for (const step of path) node = (node as Record<string | number, unknown>)[step];
  return node as Resource;
}

const port = parentPort;
if (port) {
  fhirDefinitions();
  port.on('message', (task: ValidationTask) => {
    let reply: ValidationReply;
    try {
      const body: unknown = JSON.parse(task.text);
      reply = { id: task.id, issues: task.paths.map((path) => validationIssues(at(body, path))) };
    } catch (error) {
      reply = { id: task.id, error: (error as Error).message };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
}
