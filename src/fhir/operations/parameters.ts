import type { Identifier, Parameters, ParametersParameter, Reference, Resource } from '@medplum/fhirtypes';
import { errors } from '../outcomes.js';
import type { FhirRequest } from '../router/types.js';

/** Reading operation input (a Parameters body or the query string) and building Parameters output. */
export class OperationInput {
  private constructor(private readonly parameters: readonly ParametersParameter[], private readonly query: URLSearchParams) {}

  static of(request: FhirRequest): OperationInput {
    const body = request.body as Resource | undefined;
    if (body && typeof body === 'object' && body.resourceType === 'Parameters') {
      return new OperationInput((body as Parameters).parameter ?? [], request.query);
    }
    if (body && typeof body === 'object' && (body as { resourceType?: unknown }).resourceType) {
      // A bare resource body stands for the parameter named "resource".
      return new OperationInput([{ name: 'resource', resource: body }], request.query);
    }
    return new OperationInput([], request.query);
  }

  private find(name: string): ParametersParameter | undefined {
    return this.parameters.find((p) => p.name === name);
  }

  string(name: string): string | undefined {
    const p = this.find(name);
    const value = p?.valueString ?? p?.valueCode ?? p?.valueId ?? p?.valueUri;
    return value ?? this.query.get(name) ?? undefined;
  }

  requiredString(name: string): string {
    const value = this.string(name);
    if (!value) throw errors.invalid(`The "${name}" parameter is required`);
    return value;
  }

  boolean(name: string): boolean | undefined {
    const p = this.find(name);
    if (p?.valueBoolean !== undefined) return p.valueBoolean;
    const q = this.query.get(name);
    if (q === null) return undefined;
    if (q !== 'true' && q !== 'false') throw errors.invalid(`The "${name}" parameter must be true or false`);
    return q === 'true';
  }

  integer(name: string, min: number, max: number): number | undefined {
    const p = this.find(name);
    const raw = p?.valueInteger ?? p?.valuePositiveInt ?? p?.valueUnsignedInt ?? (p?.valueString !== undefined ? Number(p.valueString) : undefined) ?? (this.query.get(name) !== null ? Number(this.query.get(name)) : undefined);
    if (raw === undefined) return undefined;
    if (!Number.isInteger(raw) || raw < min || raw > max) throw errors.invalid(`The "${name}" parameter must be an integer between ${min} and ${max}`);
    return raw;
  }

  resource(name: string): Resource | undefined {
    return this.find(name)?.resource;
  }

  reference(name: string): Reference | undefined {
    const p = this.find(name);
    if (p?.valueReference) return p.valueReference;
    const q = p?.valueString ?? this.query.get(name);
    return q ? { reference: q } : undefined;
  }

  identifier(name: string): Identifier | undefined {
    return this.find(name)?.valueIdentifier;
  }
}

/** The id of a reference `Type/id` (relative or under the base), or a 400 naming the parameter. */
export function referencedId(reference: Reference | undefined, type: string, parameter: string): string | undefined {
  if (!reference?.reference) return undefined;
  const match = new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})$`).exec(reference.reference);
  if (!match) throw errors.invalid(`The "${parameter}" parameter must reference a ${type} (got "${reference.reference}")`);
  return match[1];
}

export function parameters(parameter: ParametersParameter[]): Parameters {
  return { resourceType: 'Parameters', parameter };
}
