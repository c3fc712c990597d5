import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { fhirDefinitions } from '../definitions.js';
import { issue } from '../outcomes.js';
import { elementIndex, extensionValueTypes, type ElementInfo } from './elements.js';
import { jsonType, PRIMITIVE_TYPES, primitiveProblem } from './primitives.js';

/**
 * The JSON shape of a resource checked against the R4 JSON format rules over the raw JSON (pure): every
 * property is an element of its type (own properties only, so `__proto__` and `constructor` are unknown
 * elements like any other), arrays exactly where the element repeats and never empty, objects never empty,
 * primitives of their JSON type and lexical form, and primitive extensions (`_element`) paired with their
 * values as https://hl7.org/fhir/R4/json.html#primitive says. @medplum/core accepts most of these defects
 * (and throws on some), so this pass runs first and is the authority on shape.
 *
 * Locations are FHIRPath as validators report them: `Patient.name[0].given[1]`, a choice as
 * `Observation.value.ofType(Quantity)`, and a primitive's extension at the primitive (`Patient.gender`,
 * never `Patient._gender`, which is not FHIRPath).
 */
export function shapeIssues(resource: unknown): OperationOutcomeIssue[] {
  const walker = new ShapeWalker();
  walker.resource(resource, undefined);
  return walker.found;
}

/** Deeper than any real resource (a Questionnaire nests items a dozen levels); beyond it nothing is walked. */
export const MAX_DEPTH = 100;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class ShapeWalker {
  readonly found: OperationOutcomeIssue[] = [];

  private structure(text: string, at: string): void {
    this.found.push(issue('error', 'structure', text, [at]));
  }

  private value(text: string, at: string): void {
    this.found.push(issue('error', 'value', text, [at]));
  }

  /** A resource: at the root (path undefined) or nested (contained, Bundle.entry.resource, Parameters). */
  resource(value: unknown, path: string | undefined, depth = 0): void {
    const at = path ?? 'Resource';
    if (!isObject(value)) return this.structure(`A resource must be a JSON object, got ${jsonType(value)}`, at);
    const type = value.resourceType;
    if (typeof type !== 'string' || !fhirDefinitions().resourceTypes.has(type)) {
      return this.structure(`${typeof type === 'string' ? `"${type}" is not an R4 resource type` : 'The resource has no resourceType'}`, at);
    }
    this.complex(value, type, path ?? type, depth, 'resource');
  }

  /** `kind`: a resource (resourceType, may be empty), an element, or an `_element` whose content was checked already. */
  private complex(value: Json, typeName: string, path: string, depth: number, kind: 'resource' | 'element' | 'extension-of-primitive'): void {
    if (depth >= MAX_DEPTH) return this.structure(`Nested more than ${MAX_DEPTH} levels deep`, path);
    const index = elementIndex(typeName);
    if (!index) return this.structure(`Unknown type ${typeName}`, path);
    const keys = Object.keys(value);
    if (kind === 'element') {
      if (keys.length === 0) return this.structure('An empty object is not a value (leave the element out)', path);
      if (keys.every((k) => k === 'id')) this.structure('An element must have content besides its id (ele-1)', path);
    }
    for (const key of keys) {
      if (kind === 'resource' && key === 'resourceType') continue;
      const child = value[key];
      if (key.startsWith('_')) {
        const info = index.get(key.slice(1));
        if (!info || !PRIMITIVE_TYPES.has(info.type)) this.structure(`Unknown element "${key}"`, `${path}.${key}`);
        // A primitive's extension is checked with its value (or alone when the value is absent).
        else if (!Object.hasOwn(value, key.slice(1))) this.primitive(undefined, child, info, locate(path, key.slice(1), info), depth);
        continue;
      }
      const info = index.get(key);
      if (!info) {
        this.structure(`Unknown element "${key}"`, `${path}.${key}`);
        continue;
      }
      const at = locate(path, key, info);
      if (PRIMITIVE_TYPES.has(info.type)) this.primitive(child, value[`_${key}`], info, at, depth);
      else this.complexElement(child, info, at, depth);
    }
    if (typeName === 'Extension') this.extensionValue(value, index, path);
  }

  private complexElement(value: unknown, info: ElementInfo, at: string, depth: number): void {
    const visit = (item: unknown, itemAt: string): void => {
      if (!isObject(item)) return this.structure(`Expected an object (${info.type}), got ${jsonType(item)}`, itemAt);
      if (info.type === 'Resource') this.resource(item, itemAt, depth + 1);
      else this.complex(item, info.type, itemAt, depth + 1, 'element');
    };
    if (!info.element.isArray) {
      if (Array.isArray(value)) return this.structure(`${info.key} has a single value: expected an object, got an array`, at);
      return visit(value, at);
    }
    if (!Array.isArray(value)) return this.structure(`${info.key} repeats: expected an array, got ${jsonType(value)}`, at);
    if (value.length === 0) return this.structure('An empty array is not a value (leave the element out)', at);
    value.forEach((item, i) => visit(item, `${at}[${i}]`));
  }

  /** A primitive element: its value and its `_element` extension, paired item by item when it repeats. */
  private primitive(value: unknown, extension: unknown, info: ElementInfo, at: string, depth: number): void {
    if (!info.element.isArray) {
      if (value !== undefined) {
        if (value === null && extension !== undefined && extension !== null) {
          this.structure('null is not a value: leave the element out when only its extension is given', at);
        } else {
          const problem = primitiveProblem(info.type, value);
          if (problem) this.value(problem, at);
        }
      }
      if (extension !== undefined) this.primitiveExtension(extension, at, depth);
      return;
    }
    if (value !== undefined && !Array.isArray(value)) return this.structure(`${info.key} repeats: expected an array, got ${jsonType(value)}`, at);
    if (extension !== undefined && !Array.isArray(extension)) {
      return this.structure(`The extensions of a repeating primitive are an array (one item per value), got ${jsonType(extension)}`, at);
    }
    const values = value as unknown[] | undefined;
    const extensions = extension as unknown[] | undefined;
    if (values?.length === 0 || extensions?.length === 0) return this.structure('An empty array is not a value (leave the element out)', at);
    if (values && extensions && values.length !== extensions.length) {
      return this.structure(`${info.key} has ${values.length} values but ${extensions.length} extension items: they pair by position`, at);
    }
    const length = values?.length ?? extensions?.length ?? 0;
    for (let i = 0; i < length; i++) {
      const v = values?.[i] ?? null;
      const e = extensions?.[i] ?? null;
      const itemAt = `${at}[${i}]`;
      // A null keeps a position only: the value or its extension must be there (R4 JSON, repeating primitives).
      if (v === null && e === null) {
        this.structure('null is not a value: a position needs a value or an extension', itemAt);
        continue;
      }
      if (v !== null) {
        const problem = primitiveProblem(info.type, v);
        if (problem) this.value(problem, itemAt);
      }
      if (e !== null) this.primitiveExtension(e, itemAt, depth);
    }
  }

  /**
   * The `_element` object: an Element (id, extension), never empty. An id alone is accepted even without a
   * value (`given: [null, "x"], _given: [{"id": "a"}, null]`): the R4 JSON rules allow it and the reference
   * validator counts it valid.
   */
  private primitiveExtension(extension: unknown, at: string, depth: number): void {
    if (!isObject(extension)) return this.structure(`A primitive's extension (_element) must be an object, got ${jsonType(extension)}`, at);
    if (Object.keys(extension).length === 0) return this.structure('An empty object is not a value (leave the _element out)', at);
    this.complex(extension, 'Element', at, depth + 1, 'extension-of-primitive');
  }

  /** An R4 core extension's value must be of a type its definition allows. */
  private extensionValue(extension: Json, index: ReadonlyMap<string, ElementInfo>, path: string): void {
    if (typeof extension.url !== 'string') return;
    const allowed = extensionValueTypes(extension.url);
    if (!allowed) return;
    for (const key of Object.keys(extension)) {
      const info = index.get(key);
      if (info?.choiceBase !== 'value' || allowed.has(info.type)) continue;
      const expected = allowed.size === 0 ? 'has no value (it is made of extensions)' : `allows ${[...allowed].map((t) => `value${t.charAt(0).toUpperCase()}${t.slice(1)}`).join(', ')} only`;
      this.structure(`The extension ${extension.url} ${expected}`, locate(path, key, info));
    }
  }
}

/** The FHIRPath of a property: `path.name`, or `path.value.ofType(Quantity)` for a choice variant. */
function locate(path: string, key: string, info: ElementInfo): string {
  return info.choiceBase ? `${path}.${info.choiceBase}.ofType(${info.type})` : `${path}.${key}`;
}
