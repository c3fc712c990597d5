import { FhirPathAtom, parseFhirPath, UnionAtom, type Atom } from '@medplum/core';

const cache = new Map<string, FhirPathAtom>();

/**
 * The parsed FHIRPath of a search parameter for one resource type: the union terms of a multi-type
 * expression (`AllergyIntolerance.patient | CarePlan.subject | …`) that apply to this type, the bare type
 * itself included (`Observation | Observation.component`, which @medplum/core's own splitter drops).
 * Parsed once per process: indexing evaluates dozens of expressions per write.
 */
export function parsedExpression(resourceType: string, expression: string): FhirPathAtom {
  const key = `${resourceType}\u0000${expression}`;
  let atom = cache.get(key);
  if (!atom) {
    atom = forResourceType(resourceType, expression);
    cache.set(key, atom);
  }
  return atom;
}

function forResourceType(resourceType: string, expression: string): FhirPathAtom {
  const parsed = parseFhirPath(expression);
  const mentions = new RegExp(`^\\(*${resourceType}(\\.|\\)|\\s|$)`);
  const terms: Atom[] = [];
  const collect = (atom: Atom): void => {
    if (atom instanceof UnionAtom) {
      collect(atom.left);
      collect(atom.right);
    } else if (mentions.test(atom.toString())) {
      terms.push(atom);
    }
  };
  collect(parsed.child);
  if (terms.length === 0) return parsed; // relative expressions (`name | alias`) apply as they are
  const union = terms.slice(1).reduce<Atom>((left, right) => new UnionAtom(left, right), terms[0] as Atom);
  return new FhirPathAtom(expression, union);
}
